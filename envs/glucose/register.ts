// Registers the glucose environments (filled in by the glucose module).
export {};
