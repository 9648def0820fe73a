'use strict';
// Test helper: starts and stops real `coffer server` processes for the
// node-vault suite.
//
// Purpose: spawn $COFFER_BIN (dev mode, or from an HCL config file) with a
// private temp HOME and a clean environment, learn the bound address from the
// "API listener ready on http://..." line on stderr (listeners use port 0, so
// parallel suites never clash), and wait until GET /v1/sys/health answers.
//
// Thread-safety: one Node event loop; a CofferProcess is used by one suite.
// Invariants: nothing waits with fixed sleeps beyond a short poll interval
// bounded by a deadline; every process is killed and its temp dir removed by
// stop() (and killed on process exit as a last resort). No tokens or unseal
// keys are printed.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const READY_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 15000;
const READY_RE = /API listener ready on (https?):\/\/(\S+)/;

const live = new Set();
process.on('exit', () => {
    for (const child of live) {
        try { child.kill('SIGKILL'); } catch (_e) { /* already gone */ }
    }
});

function cofferBin() {
    return process.env.COFFER_BIN
        || path.resolve(__dirname, '..', '..', '..', 'build', 'coffer');
}

// The child's environment: no VAULT_*/COFFER_* leakage, no proxies.
function cleanEnv(home) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
        const ku = k.toUpperCase();
        if (ku.startsWith('VAULT_') || ku.startsWith('COFFER_') || ku.endsWith('_PROXY')) continue;
        env[k] = v;
    }
    env.HOME = home;
    return env;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// `promise`, or null once `ms` have passed; the timer never outlives it.
function withTimeout(promise, ms) {
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class CofferProcess {
    constructor(args, tmp) {
        this.args = args;
        this.tmp = tmp;
        this.stderr = '';
        this.stdout = '';
        this.addr = null;
        this.child = null;
        this.exited = null;
    }

    tail() {
        return `--- command: ${cofferBin()} ${this.args.join(' ')}\n`
            + `--- stderr:\n${this.stderr.slice(-4000)}\n--- stdout:\n${this.stdout.slice(-2000)}`;
    }

    async start() {
        const child = spawn(cofferBin(), this.args, {
            cwd: this.tmp, env: cleanEnv(this.tmp), stdio: ['ignore', 'pipe', 'pipe'],
        });
        this.child = child;
        live.add(child);
        this.exited = new Promise((resolve) => {
            child.on('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); });
            child.on('error', (err) => {
                live.delete(child);
                this.stderr += `\n[spawn error: ${err.message}]\n`;
                resolve({ code: null, signal: null, err });
            });
        });
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (d) => { this.stdout += d; });
        const ready = new Promise((resolve) => {
            child.stderr.on('data', (d) => {
                this.stderr += d;
                const m = READY_RE.exec(this.stderr);
                if (m) resolve(`${m[1]}://${m[2]}`);
            });
            this.exited.then(() => resolve(null));
        });
        const deadline = Date.now() + READY_TIMEOUT_MS;
        this.addr = await withTimeout(ready, READY_TIMEOUT_MS);
        if (!this.addr) {
            await this.stop();
            throw new Error(`no 'API listener ready on' line on stderr\n${this.tail()}`);
        }
        await this.waitAnswering(deadline);
        return this;
    }

    // Polls GET /v1/sys/health until any HTTP status comes back.
    async waitAnswering(deadline) {
        let last = null;
        while (Date.now() < deadline) {
            if (this.child.exitCode !== null || this.child.signalCode !== null) break;
            try {
                await fetch(`${this.addr}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
                return;
            } catch (err) {
                last = err;
                await sleep(50);
            }
        }
        await this.stop();
        throw new Error(`sys/health did not answer before the deadline: ${last}\n${this.tail()}`);
    }

    async stop() {
        if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill('SIGTERM');
            const done = await withTimeout(this.exited, STOP_TIMEOUT_MS);
            if (!done) {
                this.child.kill('SIGKILL');
                await this.exited;
            }
        }
        fs.rmSync(this.tmp, { recursive: true, force: true });
    }
}

// `coffer server -dev` with the given root token id, in memory, on port 0.
function startDev(rootTokenId) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-node-'));
    const args = ['server', '-dev', `-dev-root-token-id=${rootTokenId}`,
        '-dev-listen-address=127.0.0.1:0'];
    return new CofferProcess(args, tmp).start();
}

// `coffer server -config <file>`: inmem storage, plain HTTP on port 0;
// starts uninitialised and sealed.
function startFromConfig() {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-node-'));
    const config = path.join(tmp, 'coffer.hcl');
    fs.writeFileSync(config, [
        'storage "inmem" {}',
        'listener "tcp" {',
        '  address = "127.0.0.1:0"',
        '  tls_disable = true',
        '}',
        'disable_mlock = true',
        '',
    ].join('\n'));
    return new CofferProcess(['server', '-config', config], tmp).start();
}

module.exports = { cofferBin, startDev, startFromConfig };
