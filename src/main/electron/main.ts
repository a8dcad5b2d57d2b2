// Placeholder; the desktop shell composes the core and opens the window.
export {};
