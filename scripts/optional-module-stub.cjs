throw new Error('optional module not bundled');
