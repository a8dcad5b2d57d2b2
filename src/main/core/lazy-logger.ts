import type { Logger } from 'pino';

/**
 * A logger that is created the first time it is used. pino and its streams take ~15 ms to
 * load, and most CLI commands never log a line at the default `warn` level (bench: cli);
 * the server, the desktop app and anything that does log get the real logger on first use.
 */
export function lazyLogger(create: () => Logger): Logger {
  let real: Logger | null = null;
  const logger = (): Logger => {
    real ??= create();
    return real;
  };
  return new Proxy({} as Logger, {
    get(_target, key) {
      const target = logger();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set: (_target, key, value) => Reflect.set(logger(), key, value),
    has: (_target, key) => Reflect.has(logger(), key),
    ownKeys: () => Reflect.ownKeys(logger()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(logger(), key);
      // A proxy may not report a property as non-configurable that its (empty) target lacks.
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(logger()),
  });
}
