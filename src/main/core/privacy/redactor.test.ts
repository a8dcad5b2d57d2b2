import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSecrets, redact, Redactor, RULES, type Rule } from './index';

// Made-up secrets in the documented shapes (none of them is real).
const AWS_ID = 'AKIAQ3EGRTXW5VNPLMZ4';
const AWS_SECRET = 'q8Hk2+Lr0vWm9Zt/Yb3Nc7Ux5Pe1Sa4Dg6Fj0Ki2';
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEpQIBAAKCAQEA3Tz2mr7SuFDQa7xW9kq4r7b1mB0eB6pQ3o8d1f2g3h4j5k6l', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk9J', '-----END RSA PRIVATE KEY-----'].join('\n');
const OPENSSH = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 'QyNTUxOQAAACDf7Wc3nq0l2xv9k8Zr1pB4tG6yH0uJ3iK5oL7mN9qRsAAAAJgq1w2e3r4t', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

/** Cases written from the formats, independent of the shared corpus (a held-out check of the rules). */
const SECRET_CASES: [string, string][] = [
  [`aws_access_key_id = ${AWS_ID}`, AWS_ID],
  [`aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET],
  [`{"AccessKeyId": "ASIAZ7XQ2MBV4K6TPLRE", "SecretAccessKey": "${AWS_SECRET}"}`, AWS_SECRET],
  [`{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n"}`, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
  ['DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0g=;EndpointSuffix=core.windows.net', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0g='],
  ['https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9d%3D', 'aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9d%3D'],
  ['git remote add origin https://ghs_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz@github.com/x/y', 'ghs_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz'],
  ['token glpat-Zy9Xw8Vu7Ts6Rq5Po4Nm3 expires soon', 'glpat-Zy9Xw8Vu7Ts6Rq5Po4Nm3'],
  ['slack: xoxp-1234567890-0987654321-1122334455-abcdef0123456789abcdef0123456789', 'xoxp-1234567890-0987654321-1122334455-abcdef0123456789abcdef0123456789'],
  ['Stripe.api_key = "rk_live_51HqLyjWDarjtT1zdp7dcXp"', 'rk_live_51HqLyjWDarjtT1zdp7dcXp'],
  ['client = OpenAI(api_key="sk-svcacct-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2")', 'sk-svcacct-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2'],
  ['x-api-key: sk-ant-api03-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St3Uv4Wx5Yz6Ab7Cd8-EfGhAA', 'sk-ant-api03-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St3Uv4Wx5Yz6Ab7Cd8-EfGhAA'],
  ['TWILIO_AUTH_TOKEN=9f8e7d6c5b4a39281706f5e4d3c2b1a0', '9f8e7d6c5b4a39281706f5e4d3c2b1a0'],
  ['//registry.npmjs.org/:_authToken=npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2', 'npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2'],
  ['password = pypi-AgEIcHlwaS5vcmcCJDk5ZjQyYjM0LWE4N2QtNDkyMi1iOWQ4LTFhZjI3NmM0NmYwZgACKlsz', 'pypi-AgEIcHlwaS5vcmcCJDk5ZjQyYjM0LWE4N2QtNDkyMi1iOWQ4LTFhZjI3NmM0NmYwZgACKlsz'],
  ['echo dckr_pat_2bF9xKq7LmN3pR5sT8vW1yZ4aC6 | docker login -u ops --password-stdin', 'dckr_pat_2bF9xKq7LmN3pR5sT8vW1yZ4aC6'],
  ['Cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRtaW4ifQ.c2lnbmF0dXJlX2hlcmU; theme=dark', 'session=eyJhbGciOiJIUzI1NiJ9'],
  ['Set-Cookie: sid=s%3Ak9Jx2PqLm4Nv7Rt1; Path=/; HttpOnly', 's%3Ak9Jx2PqLm4Nv7Rt1'],
  ['Authorization: Digest username="ops", realm="x", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", response="6629fae49393a05397450978507c4ef1"', '6629fae49393a05397450978507c4ef1'],
  ['DATABASE_URL=postgres://app:S3cr3t-P4ss@db.internal:5432/app', 'S3cr3t-P4ss'],
  ['amqp://guest:w0rk3r!Q@rabbit:5672/', 'w0rk3r!Q'],
  ['Server=tcp:db,1433;Database=app;User Id=sa;Password=Tr0ub4dor&3x;', 'Tr0ub4dor'],
  ['[client]\nuser = backup\npassword = "c0rrect horse"\n', 'c0rrect horse'],
  ['db:\n  password: hunter2-but-longer\n  host: db', 'hunter2-but-longer'],
  ['[[servers]]\napi_token = "f3a9c1e7b5d2048e6a1c9f7b3d5e2a80"', 'f3a9c1e7b5d2048e6a1c9f7b3d5e2a80'],
  ['<connection><password>Qw3rty!98</password></connection>', 'Qw3rty!98'],
  ['<add key="Smtp" password="m4il-S3rv3r" />', 'm4il-S3rv3r'],
  ['psql --password=Pg-4dm1n-2024 -h db', 'Pg-4dm1n-2024'],
  ['ldapsearch --bind-password Ld4p#Bind -H ldap://x', 'Ld4p#Bind'],
  ['mysqldump -u root -pR00tPw! app > dump.sql', 'R00tPw!'],
  ['ops:$y$j9T$Fq0c7RkB3l1pZ2aX$4ScHxH1f5o2u9v7q3Kd6mWbJtN8eLg0iYrPzA1sCuD/:19700:0:99999:7:::', '$y$j9T$Fq0c7RkB3l1pZ2aX$4ScHxH1f5o2u9v7q3Kd6mWbJtN8eLg0iYrPzA1sCuD/'],
  ['admin:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'],
  ['web:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', 'W6ph5Mm5Pz8GgiULbPgzG37mj9g='],
  ['    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB', 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVB'],
  ['    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.U2lnbmF0dXJlQmFzZTY0', 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9'],
  ['{"auths": {"ghcr.io": {"auth": "b3BzOmdocF9BYmNkZWZnaGlqa2xtbm9w"}}}', 'b3BzOmdocF9BYmNkZWZnaGlqa2xtbm9w'],
  ['export SECRET_KEY_BASE=8c1f2e9a7b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0d1e2f3a4', '8c1f2e9a7b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0d1e2f3a4'],
  ['machine api.example.com login ops password Pl41n-N3trc', 'Pl41n-N3trc'],
  ['redis-cli -a R3d1s-P4ss --no-auth-warning', ''],
  [OPENSSH, 'QyNTUxOQAAACDf7Wc3nq0l2xv9k8Zr1pB4tG6yH0uJ3iK5oL7mN9qRsAAAAJgq1w2e3r4t'],
  [`key.pem:\n${PEM}\nnext line`, 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk9J'],
];

const CLEAN_CASES = [
  'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  'Merge: 1a2b3c4 5d6e7f8',
  'request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 done in 12 ms',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.txt',
  'd41d8cd98f00b204e9800998ecf8427e  /etc/motd',
  'docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31',
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA4kFtP0ohZzs8Hz+4yQ3c6l ops@bastion',
  '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----',
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVs/o5+uQbTjL3chynL4wXgUg2R9q\n-----END PUBLIC KEY-----',
  'nginx version: nginx/1.25.3',
  'openssl 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)',
  'Linux web-1 6.8.0-45-generic #45-Ubuntu SMP x86_64 GNU/Linux',
  'token_type: Bearer',
  'max_tokens: 4096',
  'password_hash_algorithm: yescrypt',
  'ssh_public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops',
  'The password for the database is stored in Vault.',
  'Enter password: ',
  'password: ${DB_PASSWORD}',
  'secret_name: db-creds',
  'api_key_file: /etc/app/api.key',
  'PWD=/home/deploy/app',
  'kubectl create secret generic db --from-file=./password.txt',
  'GIT_COMMIT=9fceb02d0ae598e95dc970b74767f19372d61af8',
  'Image: registry.k8s.io/pause:3.9  ImageID: sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c',
  'x-request-id: 6f9619ff-8b86-d011-b42d-00cf4fc964ff',
  'cache_key: build-linux-amd64-5d41402abc4b2a76b9719d911017c592',
  'auth: required',
  'Authorization: Bearer [REDACTED:token#1]',
  'mkdir -p /var/lib/app && ssh -p 2222 ops@host',
  'docker run -p 8080:80 nginx',
  'echo $HOME $PATH $1',
];

describe('redactor', () => {
  it.each(SECRET_CASES.map(([line, secret], i) => ({ i, line, secret })))('removes secret case $i', ({ line, secret }) => {
    const out = redact(line).text;
    if (secret) expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED:');
  });

  it.each(CLEAN_CASES.map((line, i) => ({ i, line })))('leaves clean case $i alone', ({ line }) => {
    expect(redact(line).text).toBe(line);
  });

  it('gives a secret a stable typed placeholder within a session', () => {
    const r = new Redactor();
    const a = r.redact(`aws_secret_access_key=${AWS_SECRET}`);
    expect(a.text).toBe('aws_secret_access_key=[REDACTED:aws-secret-key#1]');
    expect(a.findings).toEqual([{ type: 'aws-secret-key', placeholder: '[REDACTED:aws-secret-key#1]', start: 22, end: 22 + AWS_SECRET.length }]);
    const other = 'Zq8Hk2+Lr0vWm9Zt/Yb3Nc7Ux5Pe1Sa4Dg6Fj0Ki9';
    expect(r.redactText(`AWS_SECRET_ACCESS_KEY="${other}" then again ${AWS_SECRET.slice(0, 0)}aws_secret_access_key: ${AWS_SECRET}`)).toBe(
      'AWS_SECRET_ACCESS_KEY="[REDACTED:aws-secret-key#2]" then again aws_secret_access_key: [REDACTED:aws-secret-key#1]',
    );
    // a new conversation numbers from 1 again
    expect(new Redactor().redactText(`aws_secret_access_key=${other}`)).toBe('aws_secret_access_key=[REDACTED:aws-secret-key#1]');
  });

  it('redacts a whole PEM block and is idempotent on its own output', () => {
    const r = new Redactor();
    const once = r.redactText(`before\n${PEM}\nafter`);
    expect(once).toBe('before\n[REDACTED:private-key#1]\nafter');
    expect(r.redactText(once)).toBe(once);
  });

  it('redacts a private key block cut short (capped output)', () => {
    const cut = PEM.slice(0, 120);
    expect(redact(`cat id_rsa\n${cut}`).text).toBe('cat id_rsa\n[REDACTED:private-key#1]');
  });

  it('keeps the key names and structure around the secret', () => {
    expect(redact('mongodb://app:Zq-9sX!2@db:27017/admin').text).toBe('mongodb://app:[REDACTED:url-password#1]@db:27017/admin');
    // Unencoded `#` and `@` inside the password: the whole password goes, up to the host.
    expect(redact('DATABASE_URL=postgres://app:Remote-Pw-77zq#Lk@db.internal:5432/app').text).toBe('DATABASE_URL=postgres://app:[REDACTED:url-password#1]@db.internal:5432/app');
    expect(redact('psql postgres://app:p@ss#w0rd@db:5432/x').text).toBe('psql postgres://app:[REDACTED:url-password#1]@db:5432/x');
    expect(redact('redis://:s3cr#t@cache:6379/0').text).toBe('redis://:[REDACTED:url-password#1]@cache:6379/0');
    // Near misses: a port before a fragment or a path with an `@` is not a password.
    expect(redact('see https://example.com:8443/page#top and http://user@host/x#y').text).toBe('see https://example.com:8443/page#top and http://user@host/x#y');
    expect(redact('https://registry.example.com:5000/v2/app@sha256:abc').text).toBe('https://registry.example.com:5000/v2/app@sha256:abc');
    expect(redact('Authorization: Basic b3BzOnMzY3JldC1wYXNz').text).toBe('Authorization: Basic [REDACTED:authorization#1]');
    expect(redact('root:$6$salt1234$abcdefghijklmnopqrstuv:19700:0:99999:7:::').text).toBe('root:[REDACTED:password-hash#1]:19700:0:99999:7:::');
  });

  it('findSecrets returns non-overlapping spans in order', () => {
    const text = `GITHUB_TOKEN=ghp_${'a1B2c3D4e5'.repeat(4)} and https://u:${'p4ss-W0rd'}@h/`;
    const spans = findSecrets(text);
    expect(spans.map((s) => s.type)).toEqual(['github-token', 'url-password']);
    expect(spans[0]!.end).toBeLessThanOrEqual(spans[1]!.start);
  });

  it('finds with the one-pass anchor scan exactly what each rule finds over the whole text', () => {
    // Copies of the rules have no anchored form: findSecrets runs them the plain way, each over
    // the whole text behind its keywords. Both ways must give the same spans, in the same order.
    const plain: Rule[] = RULES.map((rule) => ({ name: rule.name, keywords: rule.keywords, scan: (text, out) => rule.scan(text, out) }));
    const mixed: Rule[] = RULES.map((rule, i) => (i % 3 === 0 ? plain[i]! : rule));
    const corpus = process.env.FLEETMIND_SECRETS_CORPUS ?? '/work/shared/corpora/secrets';
    const lines: string[] = [];
    for (const file of ['secrets.jsonl', 'clean.jsonl']) {
      try {
        for (const l of readFileSync(`${corpus}/${file}`, 'utf8').split('\n')) if (l.trim()) lines.push((JSON.parse(l) as { line: string }).line);
      } catch {
        // the shared corpus is optional here
      }
    }
    const base = [...SECRET_CASES.map(([line]) => line), ...CLEAN_CASES, ...lines];
    const edges = [
      'Authorization:\n  Basic b3BzOnMzY3JldC1wYXNz',
      'password\n= hunter2-longer',
      '<password>\nQw3rty!98\n</password>',
      'mysql -u root\n-pR00tPw!',
      `${'a'.repeat(70)}_password=Sh0rt-but-real`,
      `x${'-'.repeat(3)}password=abc12345`,
      '$DB_PASSWORD=S3cr3t-P4ss',
      `${'s'.repeat(40)}://u:p4ss-W0rd@h/`,
      'a+b.c-d://user:pa55-w0rd@host/',
      'é token=Zq8Hk2Lr0vWm9ZtYb3Nc ● AKIAQ3EGRTXW5VNPLMZ4 …',
      'key key key password password: secret: token=',
      'requirepass\nfoo-bar-baz',
      ';requirepass F00bar-baz',
      '12345678:AAbcdefghijklmnopqrstuvwxyz012345678 then 1234567890:AA0123456789abcdefghijklmnopqrstuvwx',
      'PRIVATE KEY alone, -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----',
    ];
    const texts = [...base, ...edges];
    for (const t of [...base, ...edges]) texts.push(t.toUpperCase(), t.toLowerCase(), `x${t}y`, `${t}\n${t}`, t.replace(/ /g, '\n'), JSON.stringify(t));
    for (const text of texts) {
      const fast = findSecrets(text);
      expect(findSecrets(text, plain), text).toEqual(fast);
      expect(findSecrets(text, mixed), text).toEqual(fast);
    }
  });
});
