'use strict';
// Compatibility with the node-vault 0.12.0 client (npm), run with Node's
// built-in runner: `node --test node_vault.test.js` ($COFFER_BIN = binary).
//
// Only node-vault's own methods are used (its generated commands plus the
// generic read/write/list/delete/update/help). One server from a config file
// covers init/unseal/status/seal; one dev server (root token "root", KV v2 at
// secret/) covers KV v1 and v2, mounts, policies, tokens, auth methods,
// userpass and AppRole, health and help. Every check looks at returned values.

// axios honours *_PROXY variables; the servers are on 127.0.0.1.
for (const k of Object.keys(process.env)) {
    if (k.toUpperCase().endsWith('_PROXY') || k.toUpperCase().startsWith('VAULT_')) delete process.env[k];
}

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const nodeVault = require('node-vault');
const { startDev, startFromConfig } = require('./server');

const ROOT = 'root';
const RO_POLICY = 'path "secret/data/ro/*" {\n  capabilities = ["read", "list"]\n}\n';

// A rejection from node-vault carrying the given HTTP status.
async function rejectsWithStatus(promise, status) {
    await assert.rejects(promise, (err) => {
        assert.ok(err.response, `not an API error: ${err}`);
        assert.equal(err.response.statusCode, status, JSON.stringify(err.response.body));
        return true;
    });
}

describe('node-vault against a server started from a config file', () => {
    let srv;
    before(async () => { srv = await startFromConfig(); });
    after(async () => { if (srv) await srv.stop(); });

    it('init, unseal, status, health and seal', async () => {
        const vault = nodeVault({ endpoint: srv.addr });
        assert.deepEqual(await vault.initialized(), { initialized: false });
        const uninit = await vault.health();  // 501, returned as a body
        assert.equal(uninit.initialized, false);
        assert.equal(uninit.sealed, true);

        const init = await vault.init({ secret_shares: 3, secret_threshold: 2 });
        assert.equal(init.keys.length, 3);
        assert.equal(init.keys_base64.length, 3);
        assert.match(init.root_token, /^hvs\.[A-Za-z0-9]{24}$/);
        assert.deepEqual(await vault.initialized(), { initialized: true });

        let st = await vault.status();
        assert.equal(st.sealed, true);
        assert.equal(st.t, 2);
        assert.equal(st.n, 3);
        assert.equal(st.progress, 0);
        assert.equal((await vault.health()).sealed, true);

        st = await vault.unseal({ key: init.keys[0] });
        assert.equal(st.sealed, true);
        assert.equal(st.progress, 1);
        st = await vault.unseal({ reset: true });
        assert.equal(st.progress, 0);
        await rejectsWithStatus(vault.unseal({ key: 'zz-not-hex' }), 400);
        await vault.unseal({ key: init.keys[2] });
        st = await vault.unseal({ key: init.keys[1] });
        assert.equal(st.sealed, false);
        assert.equal(st.progress, 0);

        const health = await vault.health();
        assert.equal(health.initialized, true);
        assert.equal(health.sealed, false);
        assert.equal(health.standby, false);

        vault.token = init.root_token;
        const self = await vault.tokenLookupSelf();
        assert.deepEqual(self.data.policies, ['root']);
        const mounts = await vault.mounts();
        assert.equal(mounts.data['cubbyhole/'].type, 'cubbyhole');
        assert.equal(mounts.data['secret/'], undefined);  // only dev mode mounts secret/

        await vault.seal();
        assert.equal((await vault.status()).sealed, true);
        assert.equal((await vault.health()).sealed, true);  // 503, returned as a body
        await rejectsWithStatus(vault.mounts(), 503);
        await vault.unseal({ key: init.keys_base64[0] });
        assert.equal((await vault.unseal({ key: init.keys_base64[1] })).sealed, false);
        assert.equal((await vault.mounts()).data['sys/'].type, 'system');
    });
});

describe('node-vault against a dev server', () => {
    let srv;
    const client = (token = ROOT) => nodeVault({ endpoint: srv.addr, token });
    before(async () => { srv = await startDev(ROOT); });
    after(async () => { if (srv) await srv.stop(); });

    it('health and help', async () => {
        const vault = client();
        const health = await vault.health();
        assert.equal(health.initialized, true);
        assert.equal(health.sealed, false);
        assert.equal(typeof health.version, 'string');
        assert.equal((await vault.health({ standbyok: true })).sealed, false);

        const help = await vault.help('sys/mounts');
        assert.equal(typeof help.help, 'string');
        assert.ok(help.help.length > 0);
        await rejectsWithStatus(client('').help('sys/mounts'), 403);
        // Help bodies are {"help": ..., "openapi": ...} on every path, not only sys/.
        for (const p of ['secret/data/anything', 'cubbyhole/x', 'auth/token/lookup']) {
            const body = await vault.help(p);
            assert.equal(typeof body.help, 'string', `${p}: ${JSON.stringify(body)}`);
            assert.ok(body.help.length > 0, p);
        }
    });

    it('mounts, mount, remount and unmount', async () => {
        const vault = client();
        const before = await vault.mounts();
        assert.equal(before.data['secret/'].type, 'kv');
        assert.equal(before.data['secret/'].options.version, '2');
        await vault.mount({ mount_point: 'stash', type: 'kv', description: 'spare',
            options: { version: '1' } });
        let mounts = await vault.mounts();
        assert.equal(mounts.data['stash/'].type, 'kv');
        assert.equal(mounts.data['stash/'].description, 'spare');
        assert.equal(mounts.data['stash/'].options.version, '1');
        await rejectsWithStatus(vault.mount({ mount_point: 'stash', type: 'kv' }), 400);

        await vault.write('stash/keep', { v: 'kept' });
        await vault.remount({ from: 'stash', to: 'stash2' });
        mounts = await vault.mounts();
        assert.equal(mounts.data['stash/'], undefined);
        assert.equal(mounts.data['stash2/'].type, 'kv');
        assert.deepEqual((await vault.read('stash2/keep')).data, { v: 'kept' });

        await vault.unmount({ mount_point: 'stash2' });
        assert.equal((await vault.mounts()).data['stash2/'], undefined);
    });

    it('KV v1: write, read, list, delete', async () => {
        const vault = client();
        await vault.mount({ mount_point: 'one', type: 'kv', options: { version: '1' } });
        await vault.write('one/app/db', { user: 'u1', port: 5432 });
        await vault.write('one/app/cache', { ttl: '5m' });
        await vault.write('one/top', { t: 'x' });

        const got = await vault.read('one/app/db');
        assert.deepEqual(got.data, { user: 'u1', port: 5432 });
        await vault.write('one/app/db', { user: 'u2' });
        assert.deepEqual((await vault.read('one/app/db')).data, { user: 'u2' });

        assert.deepEqual((await vault.list('one/app')).data.keys.sort(), ['cache', 'db']);
        assert.deepEqual((await vault.list('one/')).data.keys.sort(), ['app/', 'top']);
        const viaGet = nodeVault({ endpoint: srv.addr, token: ROOT, noCustomHTTPVerbs: true });
        assert.deepEqual((await viaGet.list('one/app')).data.keys.sort(), ['cache', 'db']);

        await vault.delete('one/app/db');
        await rejectsWithStatus(vault.read('one/app/db'), 404);
        assert.deepEqual((await vault.list('one/app')).data.keys, ['cache']);
        await vault.delete('one/app/cache');
        await rejectsWithStatus(vault.list('one/app'), 404);
    });

    it('KV v2 through write/read/update/list/delete and destroySecretVersions', async () => {
        const vault = client();
        const w1 = await vault.write('secret/data/app', { data: { a: '1' } });
        assert.equal(w1.data.version, 1);
        const w2 = await vault.write('secret/data/app', { options: { cas: 1 }, data: { a: '2' } });
        assert.equal(w2.data.version, 2);
        await rejectsWithStatus(
            vault.write('secret/data/app', { options: { cas: 1 }, data: { a: 'x' } }), 400);

        const latest = await vault.read('secret/data/app');
        assert.deepEqual(latest.data.data, { a: '2' });
        assert.equal(latest.data.metadata.version, 2);
        assert.deepEqual((await vault.read('secret/data/app?version=1')).data.data, { a: '1' });

        // PATCH with application/merge-patch+json.
        const patched = await vault.update('secret/data/app', { data: { b: '3' } });
        assert.equal(patched.data.version, 3);
        assert.deepEqual((await vault.read('secret/data/app')).data.data, { a: '2', b: '3' });

        await vault.write('secret/data/dir/x', { data: { x: '1' } });
        assert.deepEqual((await vault.list('secret/metadata/')).data.keys.sort(), ['app', 'dir/']);
        assert.deepEqual((await vault.list('secret/metadata/dir')).data.keys, ['x']);

        await vault.delete('secret/data/app');  // soft-deletes version 3
        await rejectsWithStatus(vault.read('secret/data/app'), 404);
        assert.deepEqual((await vault.read('secret/data/app?version=2')).data.data, { a: '2' });

        await vault.destroySecretVersions({ mount_point: 'secret', path: 'app', versions: [2] });
        await rejectsWithStatus(vault.read('secret/data/app?version=2'), 404);
        const meta = await vault.read('secret/metadata/app');
        assert.equal(meta.data.current_version, 3);
        assert.equal(meta.data.versions['2'].destroyed, true);
        assert.notEqual(meta.data.versions['3'].deletion_time, '');

        await vault.delete('secret/metadata/app');
        await rejectsWithStatus(vault.read('secret/metadata/app'), 404);
        assert.deepEqual((await vault.list('secret/metadata/')).data.keys, ['dir/']);
    });

    it('policies: addPolicy, getPolicy, policies, removePolicy, enforcement', async () => {
        const vault = client();
        // node-vault's documented form sends the deprecated `rules` key.
        await vault.addPolicy({ name: 'ro', rules: RO_POLICY });
        assert.equal((await vault.getPolicy({ name: 'ro' })).rules, RO_POLICY);
        await vault.addPolicy({ name: 'other', policy: 'path "x/*" { capabilities = ["read"] }' });
        const list = await vault.policies();
        for (const p of ['default', 'root', 'ro', 'other']) assert.ok(list.policies.includes(p), p);
        assert.deepEqual(list.data.policies, list.policies);

        await vault.write('secret/data/ro/item', { data: { k: 'v' } });
        await vault.write('secret/data/private', { data: { k: 'p' } });
        const maker = client();
        const tok = (await maker.tokenCreate({ policies: ['ro'], ttl: '10m' })).auth.client_token;
        const ro = client(tok);
        assert.deepEqual((await ro.read('secret/data/ro/item')).data.data, { k: 'v' });
        await rejectsWithStatus(ro.write('secret/data/ro/item', { data: { k: 'w' } }), 403);
        await rejectsWithStatus(ro.read('secret/data/private'), 403);
        await rejectsWithStatus(ro.addPolicy({ name: 'ro', policy: 'path "*" { capabilities = ["sudo"] }' }), 403);

        await vault.removePolicy({ name: 'ro' });
        await rejectsWithStatus(vault.getPolicy({ name: 'ro' }), 404);
        assert.ok(!(await vault.policies()).policies.includes('ro'));
        await rejectsWithStatus(ro.read('secret/data/ro/item'), 403);
    });

    it('tokens: create, lookup, renew, revoke, accessors and roles', async () => {
        const maker = client();
        const created = await maker.tokenCreate({
            policies: ['app'], ttl: '1h', meta: { team: 'blue' }, display_name: 'ci',
        });
        const token = created.auth.client_token;
        assert.match(token, /^hvs\./);
        assert.equal(maker.token, token);  // node-vault adopts the new token
        assert.deepEqual(created.auth.policies, ['app', 'default']);
        assert.equal(created.auth.lease_duration, 3600);
        assert.equal(created.auth.renewable, true);
        assert.deepEqual(created.auth.metadata, { team: 'blue' });

        const root = client();
        const info = (await root.tokenLookup({ token })).data;
        assert.equal(info.id, token);
        assert.deepEqual(info.policies, ['app', 'default']);
        assert.deepEqual(info.meta, { team: 'blue' });
        assert.equal(info.display_name, 'token-ci');
        assert.ok(info.ttl > 3500 && info.ttl <= 3600, String(info.ttl));

        const acc = (await root.tokenLookupAccessor({ accessor: created.auth.accessor })).data;
        assert.equal(acc.id, '');
        assert.equal(acc.accessor, created.auth.accessor);
        assert.ok((await root.tokenAccessors()).data.keys.includes(created.auth.accessor));

        const self = client(token);
        assert.equal((await self.tokenLookupSelf()).data.id, token);
        const renewed = await self.tokenRenewSelf({ increment: '2h' });
        assert.equal(renewed.auth.client_token, token);  // node-vault adopts it again
        assert.equal(self.token, token);
        assert.equal(renewed.auth.lease_duration, 7200);
        const renewed2 = await client().tokenRenew({ token, increment: 1800 });
        assert.equal(renewed2.auth.client_token, token);
        assert.equal(renewed2.auth.lease_duration, 1800);

        await root.tokenRevoke({ token });
        await rejectsWithStatus(root.tokenLookup({ token }), 403);
        await rejectsWithStatus(self.tokenLookupSelf(), 403);

        const orphan = (await client().tokenCreateOrphan({ policies: ['app'], ttl: '5m' })).auth;
        assert.equal(orphan.orphan, true);
        await root.tokenRevokeAccessor({ accessor: orphan.accessor });
        await rejectsWithStatus(root.tokenLookup({ token: orphan.client_token }), 403);

        const quitter = client((await client().tokenCreate({ ttl: '5m' })).auth.client_token);
        await quitter.tokenRevokeSelf();
        await rejectsWithStatus(root.tokenLookup({ token: quitter.token }), 403);

        await root.addTokenRole({ role_name: 'deploy', allowed_policies: 'app,ops', orphan: true });
        const role = await root.getTokenRole({ role_name: 'deploy' });
        assert.deepEqual(role.data.allowed_policies.sort(), ['app', 'ops']);
        assert.equal(role.data.orphan, true);
        assert.deepEqual((await root.tokenRoles()).data.keys, ['deploy']);
        const viaRole = (await client().tokenCreateRole({ role_name: 'deploy', policies: ['ops'] })).auth;
        assert.equal(viaRole.orphan, true);
        assert.deepEqual(viaRole.policies, ['default', 'ops']);
        assert.equal((await root.tokenLookup({ token: viaRole.client_token })).data.role, 'deploy');
        await root.removeTokenRole({ role_name: 'deploy' });
        await rejectsWithStatus(root.getTokenRole({ role_name: 'deploy' }), 404);
    });

    it('auth methods: auths, enableAuth, disableAuth', async () => {
        const vault = client();
        await vault.enableAuth({ mount_point: 'people', type: 'userpass', description: 'humans' });
        let auths = await vault.auths();
        assert.equal(auths.data['people/'].type, 'userpass');
        assert.equal(auths.data['people/'].description, 'humans');
        assert.equal(auths.data['token/'].type, 'token');
        assert.equal(auths['people/'].type, 'userpass');  // legacy top-level copy
        await rejectsWithStatus(vault.enableAuth({ mount_point: 'people', type: 'userpass' }), 400);
        await vault.disableAuth({ mount_point: 'people' });
        auths = await vault.auths();
        assert.equal(auths.data['people/'], undefined);
    });

    it('userpassLogin', async () => {
        const vault = client();
        await vault.enableAuth({ mount_point: 'userpass', type: 'userpass' });
        await vault.write('auth/userpass/users/alice', { password: 'pw-alice', token_policies: 'app', token_ttl: '20m' });
        assert.deepEqual((await vault.read('auth/userpass/users/alice')).data.token_policies, ['app']);

        const user = client('');
        const login = await user.userpassLogin({ username: 'alice', password: 'pw-alice' });
        assert.equal(user.token, login.auth.client_token);
        assert.deepEqual(login.auth.policies, ['app', 'default']);
        assert.deepEqual(login.auth.metadata, { username: 'alice' });
        assert.equal(login.auth.lease_duration, 1200);
        const self = (await user.tokenLookupSelf()).data;
        assert.equal(self.path, 'auth/userpass/login/alice');
        assert.deepEqual(self.meta, { username: 'alice' });

        await rejectsWithStatus(client('').userpassLogin({ username: 'alice', password: 'nope' }), 400);
        await rejectsWithStatus(client('').userpassLogin({ username: 'nobody', password: 'pw-alice' }), 400);
    });

    it('AppRole: roles, role id, secret ids, approleLogin', async () => {
        const vault = client();
        await vault.enableAuth({ mount_point: 'approle', type: 'approle' });
        await vault.addApproleRole({ role_name: 'web', policies: 'app', token_ttl: 600, secret_id_num_uses: 2 });
        const role = (await vault.getApproleRole({ role_name: 'web' })).data;
        assert.deepEqual(role.token_policies, ['app']);
        assert.equal(role.token_ttl, 600);
        assert.equal(role.secret_id_num_uses, 2);
        assert.deepEqual((await vault.approleRoles()).data.keys, ['web']);

        const roleId = (await vault.getApproleRoleId({ role_name: 'web' })).data.role_id;
        assert.ok(roleId);
        const gen = (await vault.getApproleRoleSecret({
            role_name: 'web', metadata: JSON.stringify({ host: 'h1' }),
        })).data;
        assert.ok(gen.secret_id && gen.secret_id_accessor);
        const plain = (await vault.getApproleRoleSecret({ role_name: 'web' })).data;  // no body
        assert.deepEqual((await vault.approleSecretAccessors({ role_name: 'web' })).data.keys.sort(),
            [gen.secret_id_accessor, plain.secret_id_accessor].sort());
        const looked = (await vault.approleSecretLookup({ role_name: 'web', secret_id: gen.secret_id })).data;
        assert.deepEqual(looked.metadata, { host: 'h1' });
        assert.equal(looked.secret_id_accessor, gen.secret_id_accessor);

        const app = client('');
        const login = await app.approleLogin({ role_id: roleId, secret_id: gen.secret_id });
        assert.equal(app.token, login.auth.client_token);
        assert.deepEqual(login.auth.policies, ['app', 'default']);
        assert.deepEqual(login.auth.metadata, { host: 'h1', role_name: 'web' });  // secret ID metadata + role_name
        assert.equal(login.auth.lease_duration, 600);
        assert.equal((await app.tokenLookupSelf()).data.path, 'auth/approle/login');
        await rejectsWithStatus(client('').approleLogin({ role_id: roleId, secret_id: 'wrong' }), 400);

        await vault.approleSecretDestroy({ role_name: 'web', secret_id: gen.secret_id });
        await rejectsWithStatus(client('').approleLogin({ role_id: roleId, secret_id: gen.secret_id }), 400);
        assert.deepEqual((await vault.approleSecretAccessors({ role_name: 'web' })).data.keys,
            [plain.secret_id_accessor]);

        await vault.updateApproleRoleId({ role_name: 'web', role_id: 'custom-role-id' });
        assert.equal((await vault.getApproleRoleId({ role_name: 'web' })).data.role_id, 'custom-role-id');
        const login2 = await client('').approleLogin({ role_id: 'custom-role-id', secret_id: plain.secret_id });
        assert.ok(login2.auth.client_token);

        await vault.deleteApproleRole({ role_name: 'web' });
        await rejectsWithStatus(vault.getApproleRole({ role_name: 'web' }), 404);
    });
});
