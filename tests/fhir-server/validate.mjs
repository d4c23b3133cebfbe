#!/usr/bin/env node
// Validates NDJSON FHIR R4 resources (one resource per line) from a file or stdin:
//   1. Medplum validateResource (structure, cardinality, types, FHIRPath invariants),
//   2. fhir.js `new Fhir().validate(resource, {errorOnUnexpected: true})` (value-set codes),
//   3. every Attachment with `data`: `size` == decoded byte count and
//      `hash` == base64(SHA-1(decoded bytes)) — anywhere in the tree, Bundle entries included.
// Bundles are additionally validated entry by entry (entry[i].resource on its own).
//
//   node validate.mjs [--allow-missing-size-hash] [--allow-empty] [FILE.ndjson | -]
//   (no FILE or "-" = stdin; empty input exits 2 unless --allow-empty)
//
// Prints one JSON line per resource: {"index":0,"resourceType":"...","ok":true,"errors":[]}
// (index = 0-based count of non-blank input lines). Exit status: 0 all valid, 1 any invalid,
// 2 usage / read error / no input.
import './websocket-shim.mjs';

import fs from 'node:fs';
import process from 'node:process';

import { normalizeOperationOutcome } from '@medplum/core';

import { attachmentErrors, fhirjsErrors, loadDefinitions, medplumValidate } from './fhir-engine.mjs';

function usage(code) {
  process.stderr.write('usage: node validate.mjs [--allow-missing-size-hash] [--allow-empty] [FILE.ndjson | -]\n');
  process.exit(code);
}

let file;
let requireSizeAndHash = true;
let allowEmpty = false;
for (const arg of process.argv.slice(2)) {
  if (arg === '--allow-missing-size-hash') {
    requireSizeAndHash = false;
  } else if (arg === '--allow-empty') {
    allowEmpty = true;
  } else if (arg === '-h' || arg === '--help') {
    usage(0);
  } else if (arg.startsWith('--')) {
    process.stderr.write(`unknown option: ${arg}\n`);
    usage(2);
  } else if (file === undefined) {
    file = arg;
  } else {
    usage(2);
  }
}

let input;
try {
  input = fs.readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
} catch (err) {
  process.stderr.write(`cannot read ${file ?? 'stdin'}: ${err.message}\n`);
  process.exit(2);
}

loadDefinitions();

function medplumErrors(resource, prefix) {
  try {
    medplumValidate(resource); // returns warnings only; throws on errors
    return [];
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    return (outcome.issue ?? [])
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => {
        const where = issue.expression?.join(', ') ?? '';
        const text = issue.details?.text ?? issue.diagnostics ?? issue.code;
        return `medplum: ${prefix}${where ? where + ': ' : ''}${text}`;
      });
  }
}

function fhirjsMessages(resource, prefix) {
  try {
    return fhirjsErrors(resource).map((e) => `fhir.js: ${prefix}${e.location ? e.location + ': ' : ''}${e.message}`);
  } catch (err) {
    return [`fhir.js: ${prefix}validator crashed: ${err.message}`];
  }
}

function validateOne(resource) {
  const errors = [];
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return ['json: line is not a JSON object'];
  }
  if (typeof resource.resourceType !== 'string') {
    return ['json: missing resourceType'];
  }
  errors.push(...medplumErrors(resource, ''));
  errors.push(...fhirjsMessages(resource, ''));
  // Each Bundle entry resource on its own as well (messages are prefixed with the entry path).
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    resource.entry.forEach((entry, i) => {
      const r = entry?.resource;
      if (r && typeof r === 'object' && typeof r.resourceType === 'string') {
        const prefix = `[Bundle.entry[${i}].resource ${r.resourceType}] `;
        errors.push(...medplumErrors(r, prefix));
        errors.push(...fhirjsMessages(r, prefix));
      }
    });
  }
  // Attachments: one walk over the whole tree (covers Bundle entries and contained resources).
  errors.push(...attachmentErrors(resource, { requireSizeAndHash }).map((e) => `attachment: ${e}`));
  // The same problem can be reported by the whole-Bundle pass and the per-entry pass.
  return [...new Set(errors)];
}

// Reader went away (e.g. `| head`): stop quietly.
process.stdout.on('error', (err) => process.exit(err.code === 'EPIPE' ? 1 : 2));

let index = 0;
let failed = 0;
for (const line of input.split(/\r?\n/)) {
  if (line.trim() === '') {
    continue;
  }
  let resource;
  let errors;
  try {
    resource = JSON.parse(line);
    errors = validateOne(resource);
  } catch (err) {
    errors = [`json: ${err.message}`];
  }
  const ok = errors.length === 0;
  if (!ok) {
    failed++;
  }
  const resourceType = typeof resource?.resourceType === 'string' ? resource.resourceType : null;
  process.stdout.write(JSON.stringify({ index, resourceType, ok, errors }) + '\n');
  index++;
}

if (index === 0 && !allowEmpty) {
  process.stderr.write('no resources in input (pass --allow-empty to accept that)\n');
  process.exitCode = 2;
} else {
  process.exitCode = failed > 0 ? 1 : 0;
}
