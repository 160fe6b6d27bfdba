import { REDACTED, redact } from '../../../../agent/diagnostics/redaction';

const HEX64 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu\n';

describe('redact', () => {
  it.each([
    ['a PSK key line', `vol-1.client:${HEX64}\n`, `vol-1.client:${REDACTED}\n`],
    ['a keyHex value in JSON', `{"identity":"x","keyHex":"${HEX64}"}`, `{"identity":"x","keyHex":"${REDACTED}"}`],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', `key ${REDACTED} used`],
    ['an AWS secret key after its name', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${REDACTED}`],
    ['an Authorization header', 'Authorization: AWS4-HMAC-SHA256 Credential=x, Signature=abc\nnext', `Authorization: ${REDACTED}\nnext`],
    ['a password= value', 'mount -o username=u,password=hunter2 //srv/x', `mount -o username=u,password=${REDACTED} //srv/x`],
  ])('when the text holds %s, it replaces the secret and counts 1', (_what, text, expected) => {
    // When
    const result = redact(text);
    // Then
    expect(result).toEqual({ text: expected, count: 1 });
  });

  it('when the text holds a private key PEM block, it keeps the markers and drops the body', () => {
    const text = `before\n-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}-----END RSA PRIVATE KEY-----\nafter`;
    const result = redact(text);
    expect(result.count).toBe(1);
    expect(result.text).toBe(`before\n-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n-----END RSA PRIVATE KEY-----\nafter`);
  });

  it('when a cap cut a PEM block after its BEGIN, it drops the rest of the text', () => {
    const result = redact(`x\n-----BEGIN PRIVATE KEY-----\n${PEM_BODY}`);
    expect(result.count).toBe(1);
    expect(result.text).not.toContain('MIIEvQIBADAN');
  });

  it('when a cap cut a PEM block before its END (a tail), it drops the body lines', () => {
    const result = redact(`${PEM_BODY}-----END PRIVATE KEY-----\nlater line`);
    expect(result.count).toBe(1);
    expect(result.text).toBe(`${REDACTED}\n-----END PRIVATE KEY-----\nlater line`);
  });

  it('when the text holds several secrets, it counts each', () => {
    const text = `a:${HEX64}\nb:${HEX64}\nAKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPL2\npassword=x`;
    expect(redact(text).count).toBe(5);
  });

  it('when the text holds no secret, it is unchanged', () => {
    const text = 'Dec  1 22:05:01 host kernel: EXT4-fs (vda1): mounted filesystem\nuuid:1234';
    expect(redact(text)).toEqual({ text, count: 0 });
  });
});

describe('redact inside log lines', () => {
  it('when a PSK key pair is in the middle of a log line, it is replaced too', () => {
    const text = `Dec  1 20:38:19 h app[311]: loaded key vol-1.client:${'c0ffee00'.repeat(8)} ok`;
    expect(redact(text)).toEqual({ text: `Dec  1 20:38:19 h app[311]: loaded key vol-1.client:${REDACTED} ok`, count: 1 });
  });
});
