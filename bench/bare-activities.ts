export function createBareActivities() {
  const noop = () => Promise.resolve();
  return { noop1: noop, noop2: noop, noop3: noop };
}
