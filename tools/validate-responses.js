#!/usr/bin/env node
// Checks recorded API replies against docs/openapi.json: node validate-responses.js DOC FILE.
// FILE holds one JSON object a line, {"method", "path", "status", "ctype", "body"} (body as
// text), as tests/e2e/lib.sh's api helper records them. A reply is checked against the
// schema the document gives for its route, status and content type; an error status the
// route does not list is checked against the shared Error shape. Prints each mismatch
// (route, status, schema error) and exits 1 if there was one.
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [docPath, recPath] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema(doc, 'openapi.json');	// refs resolve inside the document

const pointer = (...parts) => '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const templates = Object.keys(doc.paths).map((t) => ({ t, segs: t.split('/') }));

// The document's path for a request path: literal segments must be equal, {x} takes any
// one; the most literal match wins (/v1/jobs/remove before /v1/jobs/{id}). One trailing
// '/' is dropped, except from "/" itself (the dashboard's page).
function match(path) {
	const p = path.split('?')[0];
	const segs = (p.length > 1 ? p.replace(/\/$/, '') : p).split('/');
	let best = null, bestLit = -1;
	for (const { t, segs: ts } of templates) {
		if (ts.length !== segs.length) continue;
		let lit = 0, ok = true;
		for (let i = 0; i < ts.length && ok; i++) {
			if (ts[i].startsWith('{')) continue;
			if (ts[i] === segs[i]) lit++; else ok = false;
		}
		if (ok && lit > bestLit) { best = t; bestLit = lit; }
	}
	return best;
}

const cache = new Map();
function validator(ref) {
	if (!cache.has(ref)) cache.set(ref, ajv.compile({ $ref: 'openapi.json' + ref }));
	return cache.get(ref);
}

function check(rec) {
	const status = Number(rec.status);
	if (!(status >= 100)) return null;	// no reply (connection refused): nothing to check
	const tpl = match(rec.path);
	const op = tpl && doc.paths[tpl][rec.method.toLowerCase()];
	let ref;
	if (op && op.responses[String(status)]) {
		const here = pointer('paths', tpl, rec.method.toLowerCase(), 'responses', status);
		const r0 = op.responses[String(status)];
		const at = r0.$ref || here;	// a shared reply (#/components/responses/E404)
		const r = r0.$ref ? doc.components.responses[r0.$ref.split('/').pop()] : r0;
		if (!(r.content && r.content['application/json']))
			return null;	// text, event streams: only JSON bodies have a schema
		ref = at + '/content/application~1json/schema';
	} else if (status >= 400) {
		ref = '#/components/schemas/Error';
	} else {
		return `${rec.method} ${rec.path}: status ${status} is not documented for ` +
			(op ? `${rec.method} ${tpl}` : 'any route of the document');
	}
	let body;
	try { body = JSON.parse(rec.body); } catch (e) {
		return `${rec.method} ${rec.path} → ${status}: the body is not JSON (${String(rec.body).slice(0, 80)})`;
	}
	const v = validator(ref);
	if (v(body)) return null;
	const e = v.errors[0];
	return `${rec.method} ${rec.path} → ${status}: ${e.instancePath || '(the body)'} ${e.message}` +
		` (${JSON.stringify(e.params)}; at ${e.schemaPath})`;
}

let bad = 0, n = 0;
if (fs.existsSync(recPath)) {
	for (const line of fs.readFileSync(recPath, 'utf8').split('\n')) {
		if (!line) continue;
		n++;
		const why = check(JSON.parse(line));
		if (why) { bad++; if (bad <= 20) console.log('reply does not match docs/openapi.json: ' + why); }
	}
}
if (bad) console.log(`${bad} of ${n} replies do not match docs/openapi.json`);
process.exit(bad ? 1 : 0);
