// The privacy bench's MIXED corpus: what the redactor mostly sees in practice, ordinary server
// output (journald/syslog, nginx and application logs, ps, df, free, ss, docker, kubectl,
// systemctl, ip, openssl, git log, config files) with the shared corpora sprinkled in: a few
// per cent of the secret lines (secrets.jsonl), the look-alike clean lines (clean.jsonl) and
// read-only commands (commands/benign.jsonl) as shell prompts. Generated from a fixed seed, so
// every run and every machine times the same bytes.
//
// Records are tool-result-sized blocks (1 to 80 lines, one {"text"} each), the unit the agent
// redacts. Each record knows which secrets it holds and which of its lines are ordinary, so the
// bench can score recall and false positives on it too.

/** mulberry32: small, fast, deterministic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createMixedCorpus({ secrets, clean, commands = [], bytes, seed = 20261117, secretShare = 0.02, baitShare = 0.02, commandShare = 0.02 }) {
  const rnd = prng(seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const chars = (alphabet, n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    return s;
  };
  const HEX = '0123456789abcdef';
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const hex = (n) => chars(HEX, n);
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  const ip = () => `10.${int(0, 3)}.${int(0, 255)}.${int(1, 254)}`;
  const pubIp = () => `${pick([34, 52, 81, 91, 145, 185, 203])}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let clock = Date.UTC(2026, 10, 17, 6, 0, 0);
  const tick = () => (clock += int(0, 4000));
  const d = () => new Date(tick());
  const p2 = (n) => String(n).padStart(2, '0');
  const sysTs = () => {
    const t = d();
    return `${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}`;
  };
  const iso = () => d().toISOString();
  const clf = () => {
    const t = d();
    return `${p2(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())} +0000`;
  };
  const HOSTS = ['web-1', 'web-2', 'web-3', 'api-1', 'api-2', 'db-1', 'db-2', 'cache-1', 'worker-4', 'bastion', 'k8s-node-7', 'ci-runner-2'];
  const USERS = ['deploy', 'ops', 'ubuntu', 'alice', 'bob', 'ci', 'backup', 'postgres', 'www-data'];
  const UNITS = ['nginx.service', 'postgresql@16-main.service', 'redis-server.service', 'docker.service', 'containerd.service', 'kubelet.service', 'cron.service', 'ssh.service', 'app-worker@3.service', 'logrotate.service', 'apt-daily.service', 'fstrim.service', 'certbot.timer', 'node-exporter.service'];
  const PATHS = ['/api/v1/orders', '/api/v1/users/me', '/healthz', '/metrics', '/static/js/main.8f3a2c.js', '/login', '/api/v2/search', '/favicon.ico', '/api/v1/invoices/export', '/ws/notifications', '/api/v1/session/refresh', '/.well-known/acme-challenge/check'];
  const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15', 'curl/8.5.0', 'kube-probe/1.30', 'Prometheus/2.53.0', 'python-requests/2.32.3', 'Go-http-client/2.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)'];
  const IMAGES = ['nginx:1.27-alpine', 'postgres:16.4', 'redis:7.4', 'ghcr.io/acme/api:2026.11.3', 'grafana/grafana:11.3.0', 'prom/node-exporter:v1.8.2', 'registry.k8s.io/pause:3.9', 'quay.io/prometheus/prometheus:v2.53.0'];
  const host = () => pick(HOSTS);
  const pid = () => int(300, 4194303);

  const journal = [
    () => `${sysTs()} ${host()} systemd[1]: Started ${pick(UNITS)} - ${pick(['A high performance web server and a reverse proxy server', 'Daily apt download activities', 'Regular background program processing daemon', 'PostgreSQL Cluster 16-main', 'Advanced key-value store'])}.`,
    () => `${sysTs()} ${host()} systemd[1]: ${pick(UNITS)}: Deactivated successfully.`,
    () => `${sysTs()} ${host()} systemd[1]: ${pick(UNITS)}: Consumed ${int(0, 90)}.${int(100, 999)}s CPU time, ${int(1, 900)}.${int(0, 9)}M memory peak.`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: Accepted publickey for ${pick(USERS)} from ${ip()} port ${int(1024, 65535)} ssh2: ED25519 SHA256:${chars(B64, 43)}`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: pam_unix(sshd:session): session opened for user ${pick(USERS)}(uid=${int(1000, 1010)}) by (uid=0)`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: pam_unix(sshd:session): session closed for user ${pick(USERS)}`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: Failed password for invalid user ${pick(['admin', 'test', 'oracle', 'git', 'user1'])} from ${pubIp()} port ${int(1024, 65535)} ssh2`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: Connection closed by authenticating user root ${pubIp()} port ${int(1024, 65535)} [preauth]`,
    () => `${sysTs()} ${host()} sshd[${pid()}]: Received disconnect from ${pubIp()} port ${int(1024, 65535)}:11: Bye Bye [preauth]`,
    () => `${sysTs()} ${host()} systemd-logind[${pid()}]: New session ${int(1, 9000)} of user ${pick(USERS)}.`,
    () => `${sysTs()} ${host()} sudo[${pid()}]:   ${pick(USERS)} : TTY=pts/${int(0, 4)} ; PWD=/home/${pick(USERS)} ; USER=root ; COMMAND=/usr/bin/systemctl restart ${pick(UNITS)}`,
    () => `${sysTs()} ${host()} sudo[${pid()}]: pam_unix(sudo:session): session opened for user root(uid=0) by ${pick(USERS)}(uid=${int(1000, 1010)})`,
    () => `${sysTs()} ${host()} CRON[${pid()}]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)`,
    () => `${sysTs()} ${host()} CRON[${pid()}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
    () => `${sysTs()} ${host()} kernel: [${int(1, 999999)}.${int(100000, 999999)}] EXT4-fs (nvme0n1p${int(1, 3)}): mounted filesystem ${uuid()} r/w with ordered data mode. Quota mode: none.`,
    () => `${sysTs()} ${host()} kernel: [${int(1, 999999)}.${int(100000, 999999)}] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.`,
    () => `${sysTs()} ${host()} kernel: [${int(1, 999999)}.${int(100000, 999999)}] Out of memory: Killed process ${pid()} (java) total-vm:${int(1e6, 9e6)}kB, anon-rss:${int(1e5, 4e6)}kB, file-rss:0kB, shmem-rss:0kB, UID:${int(100, 1010)} pgtables:${int(1000, 9000)}kB oom_score_adj:0`,
    () => `${sysTs()} ${host()} kernel: [${int(1, 999999)}.${int(100000, 999999)}] [UFW BLOCK] IN=eth0 OUT= MAC=02:42:ac:11:00:02:02:42:ac:11:00:01:08:00 SRC=${pubIp()} DST=${ip()} LEN=40 TOS=0x00 PREC=0x00 TTL=${int(30, 250)} ID=${int(1, 65535)} PROTO=TCP SPT=${int(1024, 65535)} DPT=${pick([22, 23, 3389, 5432, 6379])} WINDOW=1024 RES=0x00 SYN URGP=0`,
    () => `${sysTs()} ${host()} dockerd[${pid()}]: time="${iso()}" level=info msg="ignoring event" container=${hex(64)} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"`,
    () => `${sysTs()} ${host()} containerd[${pid()}]: time="${iso()}" level=info msg="shim disconnected" id=${hex(64)} namespace=k8s.io`,
    () => `${sysTs()} ${host()} kubelet[${pid()}]: I1117 ${p2(int(0, 23))}:${p2(int(0, 59))}:${p2(int(0, 59))}.${int(100000, 999999)}    ${int(1000, 9999)} kubelet.go:${int(1000, 2999)}] "SyncLoop (PLEG): event for pod" pod="default/api-${hex(10)}-${chars(ALNUM, 5)}" event={"ID":"${uuid()}","Type":"ContainerStarted","Data":"${hex(64)}"}`,
    () => `${sysTs()} ${host()} postgres[${pid()}]: [${int(1, 9)}-1] LOG:  checkpoint complete: wrote ${int(10, 9999)} buffers (${int(0, 30)}.${int(0, 9)}%); 0 WAL file(s) added, 0 removed, ${int(0, 5)} recycled; write=${int(1, 270)}.${int(100, 999)} s, sync=0.0${int(10, 99)} s, total=${int(1, 270)}.${int(100, 999)} s`,
    () => `${sysTs()} ${host()} postgres[${pid()}]: [${int(1, 9)}-1] app@orders LOG:  duration: ${int(100, 9000)}.${int(100, 999)} ms  statement: SELECT id, status, total FROM orders WHERE customer_id = ${int(1, 99999)} ORDER BY created_at DESC LIMIT 50`,
    () => `${sysTs()} ${host()} redis-server[${pid()}]: ${pid()}:M ${p2(int(1, 28))} Nov 2026 ${p2(int(0, 23))}:${p2(int(0, 59))}:${p2(int(0, 59))}.${int(100, 999)} * Background saving terminated with success`,
    () => `${sysTs()} ${host()} systemd-resolved[${pid()}]: Using degraded feature set UDP instead of UDP+EDNS0 for DNS server 10.0.0.2.`,
    () => `${sysTs()} ${host()} chronyd[${pid()}]: Selected source 169.254.169.123 (169.254.169.123)`,
    () => `${sysTs()} ${host()} nginx[${pid()}]: ${new Date(clock).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} [error] ${int(100, 9999)}#${int(100, 9999)}: *${int(1, 999999)} connect() failed (111: Connection refused) while connecting to upstream, client: ${pubIp()}, server: api.example.com, request: "GET ${pick(PATHS)} HTTP/1.1", upstream: "http://127.0.0.1:8080${pick(PATHS)}", host: "api.example.com"`,
    () => `${sysTs()} ${host()} certbot[${pid()}]: Certificate not yet due for renewal; no action taken.`,
    () => `${sysTs()} ${host()} node-exporter[${pid()}]: ts=${iso()} caller=collector.go:${int(100, 300)} level=error collector=hwmon msg="collector failed" err="open /sys/class/hwmon/hwmon${int(0, 4)}/temp1_input: no such device"`,
  ];
  const appLog = [
    () => `{"level":"info","ts":"${iso()}","logger":"http","msg":"request completed","method":"${pick(['GET', 'GET', 'POST', 'PUT', 'DELETE'])}","path":"${pick(PATHS)}","status":${pick([200, 200, 200, 201, 204, 301, 400, 404, 500])},"duration_ms":${int(0, 900)}.${int(0, 9)},"request_id":"${uuid()}","remote_addr":"${pubIp()}"}`,
    () => `{"level":"warn","ts":"${iso()}","logger":"db","msg":"slow query","elapsed_ms":${int(200, 9000)},"rows":${int(0, 50000)},"query_id":"${hex(16)}","trace_id":"${hex(32)}","span_id":"${hex(16)}"}`,
    () => `{"level":"error","ts":"${iso()}","logger":"auth","msg":"login failed","reason":"invalid credentials","user":"${pick(USERS)}@example.com","attempt":${int(1, 5)},"client_ip":"${pubIp()}","session_id":null}`,
    () => `${iso().replace('T', ' ').replace('Z', '')} INFO  [${pick(['main', 'worker-3', 'http-nio-8080-exec-7', 'scheduling-1'])}] c.a.orders.OrderService - processed order ${int(100000, 999999)} in ${int(1, 900)} ms (items=${int(1, 20)}, total=${int(1, 9999)}.${p2(int(0, 99))} EUR)`,
    () => `${iso().replace('T', ' ').replace('Z', '')} WARN  [http-nio-8080-exec-${int(1, 20)}] o.s.w.s.m.s.DefaultHandlerExceptionResolver - Resolved [org.springframework.web.HttpRequestMethodNotSupportedException: Request method 'PUT' is not supported]`,
    () => `\tat com.acme.orders.${pick(['OrderService', 'PaymentClient', 'InvoiceRepository', 'TokenBucketLimiter'])}.${pick(['process', 'charge', 'findByCustomer', 'acquire'])}(${pick(['OrderService', 'PaymentClient', 'InvoiceRepository', 'TokenBucketLimiter'])}.java:${int(20, 900)})`,
    () => `  File "/srv/app/${pick(['worker', 'api', 'jobs'])}/${pick(['tasks', 'views', 'models', 'auth'])}.py", line ${int(10, 900)}, in ${pick(['handle', 'run', 'get_queryset', 'validate_session', 'refresh'])}`,
    () => `${iso()} [${pick(['INFO', 'INFO', 'DEBUG', 'WARNING'])}] celery.worker.strategy: Task jobs.tasks.${pick(['send_invoice', 'sync_inventory', 'rotate_logs', 'refresh_cache'])}[${uuid()}] received`,
    () => `time="${iso()}" level=info msg="finished unary call with code OK" grpc.code=OK grpc.method=${pick(['GetUser', 'ListOrders', 'Check'])} grpc.service=${pick(['users.v1.Users', 'orders.v1.Orders', 'grpc.health.v1.Health'])} grpc.time_ms=${int(0, 90)}.${int(100, 999)} peer.address="${ip()}:${int(1024, 65535)}" span.kind=server system=grpc`,
  ];
  const access = () => `${pubIp()} - ${pick(['-', '-', '-', pick(USERS)])} [${clf()}] "${pick(['GET', 'GET', 'GET', 'POST', 'HEAD'])} ${pick(PATHS)}${pick(['', '', `?page=${int(1, 40)}&sort=${pick(['asc', 'desc'])}`, `?q=${pick(['nginx', 'disk+full', 'invoice+2026'])}`, `?v=${hex(8)}`])} HTTP/${pick(['1.1', '2.0'])}" ${pick([200, 200, 200, 200, 304, 301, 404, 499, 502])} ${int(0, 90000)} "${pick(['-', 'https://www.example.com/', 'https://app.example.com/dashboard'])}" "${pick(AGENTS)}" rt=${int(0, 3)}.${int(100, 999)} uct="0.000" uht="0.0${int(10, 99)}" urt="0.0${int(10, 99)}"`;

  // Multi-line tool outputs: each returns an array of lines.
  const blocks = [
    // ps aux
    () => {
      const rows = ['USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND'];
      const cmds = ['/sbin/init', '/lib/systemd/systemd-journald', '/usr/sbin/sshd -D', 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;', 'nginx: worker process', '/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main -c config_file=/etc/postgresql/16/main/postgresql.conf', 'postgres: 16/main: checkpointer', 'postgres: 16/main: app orders 10.0.1.12(52144) idle', '/usr/bin/containerd', '/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock', 'node /srv/app/server.js --port 8080', 'java -Xms512m -Xmx2g -XX:+UseG1GC -jar /opt/orders/orders.jar --spring.profiles.active=prod', '/usr/bin/redis-server 127.0.0.1:6379', '/usr/sbin/cron -f -P', 'sshd: deploy@pts/0', '-bash', 'ps aux', '/usr/local/bin/node_exporter --collector.systemd', '[kworker/u8:2-events_unbound]', '[ksoftirqd/0]', 'python3 /srv/app/worker.py --queue default --concurrency 4'];
      for (let i = int(8, 60); i > 0; i--) rows.push(`${pick(['root', 'root', 'www-data', 'postgres', 'deploy', 'redis', 'nobody']).padEnd(10)} ${String(pid()).padStart(6)} ${int(0, 40)}.${int(0, 9)}  ${int(0, 20)}.${int(0, 9)} ${String(int(1000, 9999999)).padStart(7)} ${String(int(0, 999999)).padStart(6)} ${pick(['?', '?', 'pts/0'])}        ${pick(['Ss', 'S', 'Sl', 'R+', 'I<', 'Ssl'])}   ${pick(['Nov16', 'Nov17', '06:12', '07:30'])}   ${int(0, 99)}:${p2(int(0, 59))} ${pick(cmds)}`);
      return rows;
    },
    // df -h
    () => ['Filesystem      Size  Used Avail Use% Mounted on', 'udev            3.9G     0  3.9G   0% /dev', `tmpfs           795M  ${int(1, 9)}.${int(0, 9)}M  7${int(80, 99)}M   1% /run`, `/dev/nvme0n1p1   ${int(20, 500)}G   ${int(5, 400)}G   ${int(1, 99)}G  ${int(10, 99)}% /`, 'tmpfs           3.9G     0  3.9G   0% /dev/shm', 'tmpfs           5.0M     0  5.0M   0% /run/lock', `/dev/nvme0n1p15  105M  6.1M   99M   6% /boot/efi`, `/dev/nvme1n1    ${int(100, 900)}G  ${int(10, 800)}G  ${int(1, 400)}G  ${int(5, 99)}% /var/lib/postgresql`, `overlay          ${int(20, 500)}G   ${int(5, 400)}G   ${int(1, 99)}G  ${int(10, 99)}% /var/lib/docker/overlay2/${hex(64)}/merged`, 'tmpfs           795M  4.0K  795M   1% /run/user/1000'],
    // free / uptime / loadavg
    () => ['               total        used        free      shared  buff/cache   available', `Mem:         ${int(7000, 64000)}        ${int(1000, 6000)}         ${int(100, 3000)}          ${int(1, 90)}        ${int(100, 5000)}        ${int(1000, 6000)}`, `Swap:           ${int(0, 4095)}           0        ${int(0, 4095)}`, ` ${p2(int(0, 23))}:${p2(int(0, 59))}:${p2(int(0, 59))} up ${int(1, 300)} days, ${int(0, 23)}:${p2(int(0, 59))},  ${int(0, 5)} users,  load average: ${int(0, 9)}.${p2(int(0, 99))}, ${int(0, 9)}.${p2(int(0, 99))}, ${int(0, 9)}.${p2(int(0, 99))}`],
    // ss -tlnp
    () => {
      const rows = ['State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess'];
      for (const [port, proc] of [[22, 'sshd'], [80, 'nginx'], [443, 'nginx'], [5432, 'postgres'], [6379, 'redis-server'], [9100, 'node_exporter'], [8080, 'java'], [53, 'systemd-resolve']]) rows.push(`LISTEN 0      ${pick([128, 511, 4096])}    ${pick(['0.0.0.0', '127.0.0.1', '[::]', '127.0.0.53%lo'])}:${port}        ${pick(['0.0.0.0:*', '[::]:*'])}    users:(("${proc}",pid=${pid()},fd=${int(3, 40)}))`);
      return rows;
    },
    // docker ps
    () => {
      const rows = ['CONTAINER ID   IMAGE                                   COMMAND                  CREATED        STATUS                  PORTS                                       NAMES'];
      for (let i = int(2, 14); i > 0; i--) rows.push(`${hex(12)}   ${pick(IMAGES).padEnd(38)}  "${pick(['/docker-entrypoint.…', 'docker-entrypoint.s…', '/bin/node_exporter', '/run.sh', 'java -jar /app.jar'])}"   ${int(2, 59)} ${pick(['hours', 'days', 'minutes'])} ago   Up ${int(2, 59)} ${pick(['hours', 'days'])} (healthy)   0.0.0.0:${int(1024, 9999)}->${pick([80, 5432, 6379, 3000, 9090])}/tcp   ${pick(['web', 'db', 'cache', 'grafana', 'prometheus', 'api', 'worker'])}-${int(1, 9)}`);
      return rows;
    },
    // kubectl get pods -A
    () => {
      const rows = ['NAMESPACE     NAME                                       READY   STATUS      RESTARTS        AGE'];
      for (let i = int(4, 40); i > 0; i--) rows.push(`${pick(['default', 'kube-system', 'monitoring', 'ingress-nginx', 'cert-manager']).padEnd(13)} ${`${pick(['api', 'web', 'coredns', 'kube-proxy', 'prometheus-server', 'ingress-nginx-controller', 'cert-manager-webhook'])}-${hex(10)}-${chars(ALNUM, 5)}`.padEnd(42)} ${pick(['1/1', '2/2', '0/1'])}     ${pick(['Running', 'Running', 'Running', 'Completed', 'CrashLoopBackOff', 'Pending'])}   ${int(0, 40)} (${int(1, 59)}m ago)   ${int(1, 90)}d`);
      return rows;
    },
    // systemctl status
    () => {
      const u = pick(UNITS);
      return [`● ${u} - ${pick(['A high performance web server and a reverse proxy server', 'PostgreSQL Cluster 16-main', 'Docker Application Container Engine'])}`, `     Loaded: loaded (/lib/systemd/system/${u}; enabled; preset: enabled)`, `     Active: active (running) since Mon 2026-11-16 ${p2(int(0, 23))}:${p2(int(0, 59))}:${p2(int(0, 59))} UTC; ${int(1, 23)}h ago`, `       Docs: man:${u.split('.')[0]}(8)`, `    Process: ${pid()} ExecStartPre=/usr/sbin/nginx -t -q -g daemon on; master_process on; (code=exited, status=0/SUCCESS)`, `   Main PID: ${pid()} (${u.split(/[.@]/)[0]})`, `      Tasks: ${int(1, 90)} (limit: ${int(4000, 19000)})`, `     Memory: ${int(1, 900)}.${int(0, 9)}M (peak: ${int(1, 999)}.${int(0, 9)}M)`, `        CPU: ${int(1, 59)}min ${int(1, 59)}.${int(100, 999)}s`, `     CGroup: /system.slice/${u}`, `             ├─${pid()} "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"`, `             └─${pid()} "nginx: worker process"`];
    },
    // ip addr
    () => [`2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000`, `    link/ether 02:${hex(2)}:${hex(2)}:${hex(2)}:${hex(2)}:${hex(2)} brd ff:ff:ff:ff:ff:ff`, `    altname enp0s5`, `    inet ${ip()}/24 metric 100 brd 10.0.1.255 scope global dynamic eth0`, `       valid_lft ${int(100, 3600)}sec preferred_lft ${int(100, 3600)}sec`, `    inet6 fe80::${hex(4)}:${hex(4)}:${hex(4)}:${hex(4)}/64 scope link`, `       valid_lft forever preferred_lft forever`],
    // openssl x509 -text (public material only)
    () => {
      const rows = ['Certificate:', '    Data:', '        Version: 3 (0x2)', '        Serial Number:', `            ${Array.from({ length: 16 }, () => hex(2)).join(':')}`, '        Signature Algorithm: sha256WithRSAEncryption', "        Issuer: C = US, O = Let's Encrypt, CN = R11", '        Validity', '            Not Before: Nov  1 06:12:44 2026 GMT', '            Not After : Jan 30 06:12:43 2027 GMT', '        Subject: CN = api.example.com', '        Subject Public Key Info:', '            Public Key Algorithm: rsaEncryption', '                Public-Key: (2048 bit)', '                Modulus:'];
      for (let i = 0; i < 8; i++) rows.push(`                    ${Array.from({ length: 15 }, () => hex(2)).join(':')}:`);
      rows.push('                Exponent: 65537 (0x10001)', '        X509v3 extensions:', '            X509v3 Key Usage: critical', '                Digital Signature, Key Encipherment', '            X509v3 Subject Key Identifier:', `                ${Array.from({ length: 20 }, () => hex(2).toUpperCase()).join(':')}`, '            X509v3 Authority Key Identifier:', `                ${Array.from({ length: 20 }, () => hex(2).toUpperCase()).join(':')}`);
      return rows;
    },
    // git log --stat
    () => [`commit ${hex(40)}`, `Author: ${pick(['Alice Martin', 'Bob Chen', 'CI Bot'])} <${pick(USERS)}@example.com>`, `Date:   Mon Nov 16 ${p2(int(0, 23))}:${p2(int(0, 59))}:${p2(int(0, 59))} 2026 +0000`, '', `    ${pick(['Rotate session keys on deploy (reads them from Vault)', 'Bump nginx to 1.27.3', 'Fix token refresh race in the auth middleware', 'Add connection pool metrics', 'Move password policy to config'])}`, '', ` ${pick(['src/auth/session.ts', 'deploy/nginx.conf', 'config/app.yaml', 'src/db/pool.go'])} | ${int(1, 90)} ${'+'.repeat(int(1, 20))}${'-'.repeat(int(0, 10))}`, ` ${int(1, 9)} files changed, ${int(1, 300)} insertions(+), ${int(0, 200)} deletions(-)`],
    // config files without secrets
    () => ['server {', '    listen 443 ssl http2;', '    server_name api.example.com;', '    ssl_certificate     /etc/letsencrypt/live/api.example.com/fullchain.pem;', '    ssl_certificate_key /etc/letsencrypt/live/api.example.com/privkey.pem;', '    ssl_session_cache   shared:SSL:10m;', '    ssl_session_timeout 1d;', '    ssl_protocols TLSv1.2 TLSv1.3;', '    location / {', '        proxy_pass http://127.0.0.1:8080;', '        proxy_set_header Host $host;', '        proxy_set_header Authorization $http_authorization;', '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;', `        proxy_read_timeout ${int(10, 300)}s;`, '    }', '    auth_basic "Restricted";', '    auth_basic_user_file /etc/nginx/.htpasswd;', '}'],
    () => ['Port 22', 'PermitRootLogin no', 'PubkeyAuthentication yes', 'AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM yes', 'X11Forwarding no', `ClientAliveInterval ${int(30, 300)}`, 'AcceptEnv LANG LC_*', 'Subsystem sftp /usr/lib/openssh/sftp-server', 'HostKey /etc/ssh/ssh_host_ed25519_key'],
    () => ['services:', '  db:', '    image: postgres:16.4', '    environment:', '      POSTGRES_USER: app', '      POSTGRES_DB: orders', '      POSTGRES_PASSWORD_FILE: /run/secrets/db_password', '    secrets:', '      - db_password', '    volumes:', '      - pgdata:/var/lib/postgresql/data', '  api:', `    image: ${pick(IMAGES)}`, '    environment:', '      DATABASE_HOST: db', '      SESSION_COOKIE_SECURE: "true"', '      TOKEN_TTL_SECONDS: "3600"', '      REDIS_URL: redis://cache:6379/0', '    depends_on: [db, cache]', 'secrets:', '  db_password:', '    file: ./secrets/db_password.txt'],
    () => ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: api`, '  labels: {app: api, tier: backend}', 'spec:', `  replicas: ${int(1, 6)}`, '  template:', '    spec:', '      containers:', '        - name: api', `          image: ${pick(IMAGES)}`, '          env:', '            - name: DB_PASSWORD', '              valueFrom:', '                secretKeyRef:', '                  name: db-credentials', '                  key: password', '            - name: LOG_LEVEL', '              value: info', '          resources:', `            limits: {cpu: "${int(1, 4)}", memory: ${int(1, 8)}Gi}`],
    () => ['net.core.somaxconn = 4096', 'net.ipv4.tcp_syncookies = 1', 'net.ipv4.ip_local_port_range = 1024 65000', 'vm.swappiness = 10', 'fs.file-max = 2097152', 'kernel.keys.maxkeys = 2000', 'net.ipv4.tcp_keepalive_time = 600', 'kernel.randomize_va_space = 2'],
    () => [`UUID=${uuid()} /               ext4   discard,errors=remount-ro 0 1`, `UUID=${hex(4).toUpperCase()}-${hex(4).toUpperCase()}  /boot/efi       vfat   umask=0077      0 1`, `/dev/nvme1n1 /var/lib/postgresql xfs defaults,noatime 0 2`, `tmpfs /run/app tmpfs size=64m,mode=0750 0 0`],
    // ls -l
    () => {
      const rows = [`total ${int(8, 900)}`];
      for (let i = int(3, 30); i > 0; i--) rows.push(`${pick(['-rw-r--r--', '-rw-------', 'drwxr-xr-x', '-rwxr-xr-x', 'lrwxrwxrwx'])} ${int(1, 9)} ${pick(['root', 'deploy', 'www-data'])} ${pick(['root', 'deploy', 'adm'])} ${String(int(0, 9999999)).padStart(8)} Nov ${String(int(1, 28)).padStart(2)} ${p2(int(0, 23))}:${p2(int(0, 59))} ${pick(['access.log', 'access.log.1', 'error.log.2.gz', 'app.log', 'syslog', 'auth.log', 'kern.log', 'dpkg.log', 'journal', 'nginx', 'postgresql', 'letsencrypt', 'session-cleanup.sh', 'keyring', 'passwd', 'group'])}`);
      return rows;
    },
    // dpkg -l / apt
    () => {
      const rows = ['Desired=Unknown/Install/Remove/Purge/Hold', '||/ Name                     Version                      Architecture Description', '+++-========================-============================-============-================================='];
      for (let i = int(4, 30); i > 0; i--) rows.push(`ii  ${pick(['openssh-server', 'openssl', 'libssl3', 'nginx', 'postgresql-16', 'redis-server', 'ca-certificates', 'gnupg', 'libpam-modules', 'keyutils', 'passwd', 'libsasl2-2', 'krb5-locales', 'python3-keyring']).padEnd(24)} ${`${int(1, 9)}.${int(0, 30)}.${int(0, 20)}-${int(0, 9)}ubuntu${int(0, 5)}.${int(1, 9)}`.padEnd(28)} amd64        ${pick(['secure shell (SSH) server, for secure access from remote machines', 'Secure Sockets Layer toolkit - cryptographic utility', 'small, powerful, scalable web/proxy server', 'change and administer password and group data', 'Pluggable Authentication Modules for PAM'])}`);
      return rows;
    },
    // /etc/passwd (no hashes)
    () => ['root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin', 'sshd:x:110:65534::/run/sshd:/usr/sbin/nologin', 'postgres:x:113:121:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash', `deploy:x:1000:1000:Deploy,,,:/home/deploy:/bin/bash`, 'redis:x:114:122::/var/lib/redis:/usr/sbin/nologin'],
  ];

  const secretPool = secrets.map((s) => s.line);
  const baitPool = clean.map((c) => c.line);
  const records = [];
  const meta = { ordinaryLines: 0, secretLines: 0, baitLines: 0, commandLines: 0, bytes: 0 };
  while (meta.bytes < bytes) {
    const lines = [];
    const kinds = []; // 'o' ordinary, 's' secret index, 'b' bait, 'c' command
    const want = int(1, 80);
    const shape = rnd();
    let block = shape < 0.35 ? pick(blocks)() : null;
    let bi = 0;
    const source = shape < 0.55 ? journal : shape < 0.8 ? appLog : null;
    while (lines.length < want) {
      const r = rnd();
      if (r < secretShare) {
        const i = Math.floor(rnd() * secretPool.length);
        lines.push(secretPool[i]);
        kinds.push(i);
      } else if (r < secretShare + baitShare) {
        lines.push(pick(baitPool));
        kinds.push('b');
      } else if (r < secretShare + baitShare + commandShare && commands.length) {
        lines.push(`${pick(USERS)}@${host()}:~$ ${pick(commands)}`);
        kinds.push('c');
      } else {
        if (block && bi >= block.length) block = pick(blocks)(), (bi = 0);
        lines.push(block ? block[bi++] : source ? pick(source)() : access());
        kinds.push('o');
      }
    }
    const text = lines.join('\n');
    const secretsHere = [];
    for (const k of kinds) {
      if (typeof k === 'number') secretsHere.push(secrets[k].secret), meta.secretLines++;
      else if (k === 'o') meta.ordinaryLines++;
      else if (k === 'b') meta.baitLines++;
      else meta.commandLines++;
    }
    records.push({ text, lines, kinds, secrets: secretsHere });
    meta.bytes += Buffer.byteLength(text);
  }
  return { records, meta };
}
