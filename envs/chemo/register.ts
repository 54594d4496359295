// Registers the chemo environments (filled in by the chemo module).
export {};
