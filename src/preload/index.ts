// Placeholder; the typed bridge is built from shared/protocol.
export {};
