// The official Alibaba Cloud Node SDK doing what the Lua benchmarks do.
//
//   node bench/sdk.js sign [repetitions]
//     its signing step: form body, body hash and Authorization (with date and nonce), as
//     @alicloud/openapi-client builds them for an RPC call signed with ACS3-HMAC-SHA256
//   node bench/sdk.js calls ENDPOINT http|https CALLS WARMUP CONCURRENCY [SERVER_PIDS]
//     updatePhoneMessageQrdl calls (HTTPS trusts NODE_EXTRA_CA_CERTS)
// Prints "name value" lines like the other benchmark programs.
'use strict';

const fs = require('fs');
const Cams = require('@alicloud/cams20200606');
const OpenApi = require('@alicloud/openapi-client');
const OpenApiUtil = require('@alicloud/openapi-util').default;
const Util = require('@alicloud/tea-util').default;
const $tea = require('@alicloud/tea-typescript');

// The same request as bench/request.lua and bench/request.h.
const ACCESS_KEY_ID = 'LTAI5tBenchmarkKeyId00000';
const ACCESS_KEY_SECRET = 'BenchmarkSecretBenchmarkSecret';
const HOST = 'cams.ap-southeast-1.aliyuncs.com';
const ARGS = {
  phoneNumber: '8615800000000',
  qrdlCode: 'D9II3BENCH01',
  prefilledMessage: 'Hello! Scan this code to chat with us about your order \u{1F44B}',
  generateQrImage: 'SVG',
};
const PARAMS = {
  GenerateQrImage: ARGS.generateQrImage,
  PhoneNumber: ARGS.phoneNumber,
  PrefilledMessage: ARGS.prefilledMessage,
  QrdlCode: ARGS.qrdlCode,
};

const now = () => Number(process.hrtime.bigint()) / 1e3; // microseconds

function quantile(list, q) {
  const v = list.slice().sort((a, b) => a - b);
  let i = Math.floor(q * v.length + 0.5);
  i = Math.min(Math.max(i, 1), v.length);
  return v[i - 1];
}

function report(results) {
  for (const k of Object.keys(results).sort()) console.log(`${k} ${results[k].toFixed(3)}`);
}

// The signing step of OpenApi Client.doRequest for this call, on the same objects.
function sdkSign() {
  const algorithm = 'ACS3-HMAC-SHA256';
  const request = new $tea.Request();
  request.protocol = 'HTTPS';
  request.method = 'POST';
  request.pathname = '/';
  request.query = {};
  request.headers = {
    host: HOST,
    'x-acs-version': '2020-06-06',
    'x-acs-action': 'UpdatePhoneMessageQrdl',
    'user-agent': 'bench',
    'x-acs-date': OpenApiUtil.getTimestamp(),
    'x-acs-signature-nonce': Util.getNonce(),
    accept: 'application/json',
  };
  const form = OpenApiUtil.toForm(OpenApiUtil.parseToMap(PARAMS));
  const hashed = OpenApiUtil.hexEncode(OpenApiUtil.hash(Util.toBytes(form), algorithm));
  request.body = new $tea.BytesReadable(form);
  request.headers['content-type'] = 'application/x-www-form-urlencoded';
  request.headers['x-acs-content-sha256'] = hashed;
  request.headers.Authorization = OpenApiUtil.getAuthorization(request, algorithm, hashed,
    ACCESS_KEY_ID, ACCESS_KEY_SECRET);
  return { form, request };
}

function perCallUs(fn, n) {
  const t0 = now();
  for (let i = 0; i < n; i++) fn();
  return (now() - t0) / n;
}

function benchSign(reps) {
  perCallUs(sdkSign, 5000); // warm up: let V8 optimize
  const us = perCallUs(sdkSign, 2000);
  const n = Math.max(1000, Math.floor(80000 / us));
  const samples = [];
  for (let r = 0; r < reps; r++) samples.push(perCallUs(sdkSign, n));
  report({ sdk_sign_us: quantile(samples, 0.5), body_bytes: sdkSign().form.length });
}

// CPU seconds of other processes, from /proc/<pid>/schedstat (nanoseconds).
function cpuSecondsOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
    } catch (e) {
      // the process is gone: count nothing
    }
  }
  return total;
}

async function benchCalls(endpoint, protocol, calls, warmup, concurrency, pids) {
  const client = new Cams.default(new OpenApi.Config({
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    endpoint,
    protocol,
    regionId: 'ap-southeast-1',
  }));
  const request = new Cams.UpdatePhoneMessageQrdlRequest(ARGS);
  const call = async () => {
    const res = await client.updatePhoneMessageQrdl(request);
    if (!res.body || res.body.code !== 'OK') throw new Error(`call failed: ${JSON.stringify(res.body)}`);
  };

  for (let i = 0; i < warmup; i++) await call();

  const latencies = [];
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      const t = now();
      await call();
      latencies.push(now() - t);
    }
  };
  const server0 = cpuSecondsOf(pids);
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (now() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  report({
    calls_per_s: calls / elapsed,
    p50_us: quantile(latencies, 0.5),
    p99_us: quantile(latencies, 0.99),
    client_cpu_us: (cpu.user + cpu.system) / calls,
    server_cpu_pct: (cpuSecondsOf(pids) - server0) * 100 / elapsed,
  });
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'sign') {
    benchSign(Number(rest[0]) || 5);
  } else if (mode === 'calls') {
    const [endpoint, protocol, calls, warmup, concurrency, pids] = rest;
    const hostPort = endpoint.replace(/^https?:\/\//, '').replace(/\/$/, '');
    await benchCalls(hostPort, protocol, Number(calls) || 1000, Number(warmup || 0),
      Number(concurrency) || 1, String(pids || '').split(',').filter(Boolean).map(Number));
  } else {
    console.error('usage: sdk.js sign [repetitions] | calls ENDPOINT http|https CALLS WARMUP CONCURRENCY [SERVER_PIDS]');
    process.exit(2);
  }
}

main().catch((e) => {
  console.error(`sdk.js: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
