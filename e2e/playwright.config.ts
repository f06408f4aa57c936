// Browser tests: the real backend binary serving the built web app (`trunk build` → dist/),
// driven in Debian's Chromium, with its brokers played by brokersim, the venue simulator (a
// separate process: Tradovate and Apex, TopstepX and Bybit all answer from it), and its mail
// received by mailsink, a real SMTP server whose inbox the tests read (tests/support/mail.ts).
// Nothing in the app is mocked; each run gets a fresh SQLite data dir, a fresh simulator and an
// empty inbox. A second backend, with mail off, serves the tests of a server that sends none.
//
// Before running: `trunk build --release` (or `trunk build`) at the repo root, and
// `cargo build -p copytrade-backend -p brokersim -p mailsink` (scripts/test's "server build"
// check builds all three). Then `npm test` here.
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..');
const targetDir = path.resolve(
  repo,
  process.env.CARGO_TARGET_DIR || path.join(homedir(), '.cache', 'copytrade', 'target'),
);
const backend = process.env.COPYTRADE_BIN || path.join(targetDir, 'debug', 'copytrade');
const brokersim = process.env.BROKERSIM_BIN || path.join(targetDir, 'debug', 'brokersim');
const mailsink = process.env.MAILSINK_BIN || path.join(targetDir, 'debug', 'mailsink');

// The config is evaluated again in each worker; the environment carries the runner's choice
// there, so one run makes exactly one data dir (removed by global-teardown.ts).
const dataDir = (process.env.COPYTRADE_E2E_DATA_DIR ||= mkdtempSync(path.join(tmpdir(), 'copytrade-e2e-')));

const listen = '127.0.0.1:18080';
// The same server with mail off, and its own data (a folder inside the run's data dir, so
// global-teardown.ts removes it too): MAIL_OFF_SERVER in tests/support/mail.ts.
const mailOffListen = '127.0.0.1:18081';
// The simulator's address; tests set up its logins through its control API
// (tests/support/brokersim.ts, which names the same address).
const simListen = '127.0.0.1:18091';
const sim = `http://${simListen}`;
// The mail sink: the server sends to its SMTP port, tests read its control API (MAILSINK in
// tests/support/mail.ts).
const mailSmtp = '127.0.0.1:18025';
const mailHttp = '127.0.0.1:18026';

// What both servers share: the web app, and the browser's per-test client IPs.
const serverEnv = {
  COPYTRADE_STATIC_DIR: path.join(repo, 'dist'),
  // The browser's requests come from loopback; trusting it as a proxy lets each test give
  // its own client IP (tests/support/fixtures.ts), so the per-IP log-in limit of one test
  // never spills into the next.
  COPYTRADE_TRUSTED_PROXIES: '127.0.0.1',
  RUST_LOG: 'info',
};

export default defineConfig({
  testDir: './tests',
  globalTeardown: './global-teardown.ts',
  // One browser, and tests share the servers' state: they run one after another.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://${listen}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download needs GitHub, which CI lacks.
      executablePath: '/usr/bin/chromium',
      // The last five keep Chromium from dialling out to Google services.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  // Started in this order, each once its URL answers: the simulator and the mail sink first,
  // so the backend's venue endpoints and its SMTP server are up before any test needs them.
  webServer: [
    {
      command: `${JSON.stringify(brokersim)} --listen ${simListen}`,
      url: `${sim}/_sim/health`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `${JSON.stringify(mailsink)} --smtp ${mailSmtp} --http ${mailHttp}`,
      url: `http://${mailHttp}/health`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: JSON.stringify(backend),
      url: `http://${listen}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...serverEnv,
        COPYTRADE_LISTEN: listen,
        COPYTRADE_DATA_DIR: dataDir,
        // Mail goes to the sink; the links in it lead back to this server, as users reach it.
        COPYTRADE_SMTP_URL: `smtp://${mailSmtp}`,
        COPYTRADE_MAIL_FROM: 'CopyTrade <mail@copytrade.test>',
        COPYTRADE_PUBLIC_URL: `http://${listen}`,
        // Every venue with an adapter is brokersim: linking a Tradovate, Apex, TopstepX or Bybit
        // account reaches the simulator, never a real broker.
        COPYTRADE_ENDPOINT_TRADOVATE: `${sim}/tradovate/v1`,
        COPYTRADE_ENDPOINT_TRADOVATE_WS: `ws://${simListen}/tradovate/v1/websocket`,
        COPYTRADE_ENDPOINT_TOPSTEPX: `${sim}/projectx`,
        COPYTRADE_ENDPOINT_TOPSTEPX_WS: `ws://${simListen}/projectx/hubs/user`,
        COPYTRADE_ENDPOINT_BYBIT: `${sim}/bybit`,
        COPYTRADE_ENDPOINT_BYBIT_WS: `ws://${simListen}/bybit/v5/private`,
      },
    },
    {
      // No COPYTRADE_SMTP_URL: this server sends no email. Its tests only read its pages.
      command: JSON.stringify(backend),
      url: `http://${mailOffListen}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...serverEnv,
        COPYTRADE_LISTEN: mailOffListen,
        COPYTRADE_DATA_DIR: path.join(dataDir, 'mail-off'),
      },
    },
  ],
});
