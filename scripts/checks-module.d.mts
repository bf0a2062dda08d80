export const CHECKS_MODULE: string;
export const CHECKS_DIR: string;
export function checksModuleSource(): string;
