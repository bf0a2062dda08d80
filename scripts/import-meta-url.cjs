// Lets ESM dependencies that read import.meta.url work inside the CommonJS bundle.
export const __import_meta_url = require('node:url').pathToFileURL(__filename).href;
