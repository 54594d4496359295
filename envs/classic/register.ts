// Registers the classic environments (filled in by the classic module).
export {};
