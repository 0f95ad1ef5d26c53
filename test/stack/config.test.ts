import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, dataPaths, loadConfig } from '../../stack/config.ts';

describe('loadConfig', () => {
  it('when PORT is not a number, it is refused with a message naming PORT', () => {
    expect(() => loadConfig({ PORT: 'three thousand' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'three thousand' })).toThrow(/PORT/);
  });

  it('when PORT is outside 1..65535, it is refused with a message naming PORT', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/^invalid configuration: PORT: /);
    expect(() => loadConfig({ PORT: '0' })).toThrow(/^invalid configuration: PORT: /);
  });

  it('when nothing is set, the documented defaults apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      LEDGERFLOW_PG_PORT: 54_329,
      TEMPORAL_DEV_PORT: 7233,
      TEMPORAL_UI_PORT: 8233,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TLS: false,
      LEDGERFLOW_TASK_QUEUE: 'ledgerflow',
      LEDGERFLOW_DEMO: true,
      LEDGERFLOW_PG_FALLBACK_DIR: '/var/lib/ledgerflow',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.dataDir).toBe(path.resolve('.data'));
    expect(dataPaths(config).postgres).toBe(path.resolve('.data', 'postgres'));
  });

  it('when a variable is set to the empty string, it counts as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('when ports and flags are given as strings, they are parsed', () => {
    const config = loadConfig({ PORT: '8080', LEDGERFLOW_DEMO: '0', TEMPORAL_TLS: 'true' });
    expect(config.PORT).toBe(8080);
    expect(config.LEDGERFLOW_DEMO).toBe(false);
    expect(config.TEMPORAL_TLS).toBe(true);
  });
});
