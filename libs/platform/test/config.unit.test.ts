import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, setting, types } from '../src/config';

const spec = {
  port: setting({ env: 'PORT', schema: types.port(), default: '8080', doc: 'HTTP port' }),
  natsUrl: setting({ env: 'NATS_URL', schema: types.url(['nats']), doc: 'NATS server URL' }),
  secret: setting({ env: 'JWT_SECRET', schema: types.secret(32), devDefault: 'dev-only-secret-dev-only-secret-xx', secret: true, doc: 'JWT signing key' }),
  debug: setting({ env: 'DEBUG_MODE', schema: types.bool(), default: 'false', doc: 'debug' }),
};

describe('loadConfig', () => {
  it('parses typed values and applies defaults', () => {
    const cfg = loadConfig('svc', spec, { NATS_URL: 'nats://127.0.0.1:4222', DEBUG_MODE: 'yes' });
    expect(cfg).toEqual({ port: 8080, natsUrl: 'nats://127.0.0.1:4222', secret: 'dev-only-secret-dev-only-secret-xx', debug: true });
  });

  it('reports every problem at once, naming the variable and what is wrong', () => {
    try {
      loadConfig('svc', spec, { PORT: 'eighty', NATS_URL: 'http://x', DEBUG_MODE: 'maybe' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('Invalid configuration for svc');
      expect(msg).toMatch(/PORT .*must be a port number.*"eighty"/);
      expect(msg).toMatch(/NATS_URL .*nats:\/\//);
      expect(msg).toMatch(/DEBUG_MODE .*true or false/);
    }
  });

  it('refuses development defaults for secrets in production and never echoes secret values', () => {
    expect(() => loadConfig('svc', spec, { HAVEN_ENV: 'production', NATS_URL: 'nats://n:4222' })).toThrow(/JWT_SECRET: required in production/);
    try {
      loadConfig('svc', spec, { NATS_URL: 'nats://n:4222', JWT_SECRET: 'short-secret-value' });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).toMatch(/JWT_SECRET must be at least 32 characters/);
      expect((err as Error).message).not.toContain('short-secret-value');
    }
  });
});
