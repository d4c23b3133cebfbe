//! A FHIR profile checker for tests: walks the snapshot of a StructureDefinition from the
//! official JP-CLINS and JP Core packages (tests/data/jpclins, unchanged) over a resource.
//!
//! Checked: cardinality (min/max) of every element the snapshot lists, `fixed[x]` and
//! `pattern[x]`, slicing (discriminators `value`/`pattern` on a path, `type`, `profile`
//! on a contained resource or a reference resolved inside the Bundle, `exists`), closed
//! slicing, and the profiles of contained resources (Bundle entries) recursively.
//! Not checked: FHIRPath invariants (`constraint`), terminology bindings (the terminology
//! package is not available offline), datatype profiles, and elements of base datatypes the
//! profile does not list.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

#[derive(Debug, Clone)]
struct El {
    id: String,
    min: usize,
    max: Option<usize>,
    fixed: Option<Value>,
    pattern: Option<Value>,
    slicing: Option<(Vec<(String, String)>, bool)>,
    profiles: Vec<String>,
    target_profiles: Vec<String>,
}

#[derive(Debug)]
pub struct Sd {
    pub url: String,
    pub kind: String,
    elements: Vec<El>,
    by_id: HashMap<String, usize>,
}

pub struct Packages {
    sds: HashMap<String, Sd>,
}

fn el_of(e: &Value) -> El {
    let first = |prefix: &str| {
        e.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.starts_with(prefix) && k.len() > prefix.len())
                .map(|(_, v)| v.clone())
        })
    };
    let slicing = e.get("slicing").map(|s| {
        let d = s["discriminator"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| {
                        (
                            d["type"].as_str().unwrap_or("").to_string(),
                            d["path"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (d, s["rules"] == "closed")
    });
    let strings = |key: &str| -> Vec<String> {
        e["type"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .flat_map(|t| t[key].as_array().cloned().unwrap_or_default())
                    .filter_map(|p| p.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    El {
        id: e["id"].as_str().unwrap_or("").to_string(),
        min: e["min"].as_u64().unwrap_or(0) as usize,
        max: match e["max"].as_str() {
            Some("*") | None => None,
            Some(n) => n.parse().ok(),
        },
        fixed: first("fixed"),
        pattern: first("pattern"),
        slicing,
        profiles: strings("profile"),
        target_profiles: strings("targetProfile"),
    }
}

impl Packages {
    /// Every StructureDefinition of the packages in `dir` (`*.tgz`).
    pub fn load(dir: &Path) -> Packages {
        let mut sds = HashMap::new();
        for f in std::fs::read_dir(dir).expect("package folder").flatten() {
            if f.path().extension().is_none_or(|e| e != "tgz") {
                continue;
            }
            let gz = flate2::read::GzDecoder::new(std::fs::File::open(f.path()).expect("open"));
            let mut tar = tar::Archive::new(gz);
            for entry in tar.entries().expect("tar") {
                let mut entry = entry.expect("entry");
                let name = entry.path().expect("path").to_string_lossy().to_string();
                if !name.contains("StructureDefinition-") || !name.ends_with(".json") {
                    continue;
                }
                let mut text = String::new();
                entry.read_to_string(&mut text).expect("read");
                let v: Value = serde_json::from_str(&text).expect("json");
                let Some(els) = v["snapshot"]["element"].as_array() else {
                    continue;
                };
                let elements: Vec<El> = els.iter().map(el_of).collect();
                let by_id = elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.id.clone(), i))
                    .collect();
                let url = v["url"].as_str().unwrap_or("").to_string();
                sds.insert(
                    url.clone(),
                    Sd {
                        url,
                        kind: v["type"].as_str().unwrap_or("").to_string(),
                        elements,
                        by_id,
                    },
                );
            }
        }
        Packages { sds }
    }

    pub fn has(&self, url: &str) -> bool {
        self.sds.contains_key(url)
    }

    /// Problems of `resource` against the profile `url`, each with its location.
    pub fn validate(&self, url: &str, resource: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let Some(sd) = self.sds.get(url) else {
            return vec![format!("profile {url} is not in the packages")];
        };
        let bundle = (resource["resourceType"] == "Bundle").then_some(resource);
        let mut cx = Cx {
            p: self,
            bundle,
            out: &mut out,
            depth: 0,
        };
        cx.node(sd, &sd.kind.clone(), resource, &sd.kind.clone());
        out
    }
}

struct Cx<'a> {
    p: &'a Packages,
    bundle: Option<&'a Value>,
    out: &'a mut Vec<String>,
    depth: usize,
}

/// `value` contains everything in `pattern` (FHIR pattern semantics).
fn matches_pattern(value: &Value, pattern: &Value) -> bool {
    match (value, pattern) {
        (Value::Object(v), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| v.get(k).is_some_and(|vv| matches_pattern(vv, pv))),
        (Value::Array(v), Value::Array(p)) => p
            .iter()
            .all(|pv| v.iter().any(|vv| matches_pattern(vv, pv))),
        (v, p) => v == p,
    }
}

fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(a) => a.iter().collect(),
        x => vec![x],
    }
}

/// The values of child `name` (`value[x]` → every `valueXxx`) of `node`.
fn children<'v>(node: &'v Value, name: &str) -> Vec<&'v Value> {
    let Some(o) = node.as_object() else {
        return Vec::new();
    };
    if let Some(prefix) = name.strip_suffix("[x]") {
        return o
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|rest| rest.chars().next().is_some_and(char::is_uppercase))
            })
            .flat_map(|(_, v)| items(v))
            .collect();
    }
    o.get(name).map(items).unwrap_or_default()
}

/// Values at a dotted `path` below `v` (`$this` is `v`).
fn at_path<'v>(v: &'v Value, path: &str) -> Vec<&'v Value> {
    if path == "$this" || path.is_empty() {
        return vec![v];
    }
    let mut cur = vec![v];
    for seg in path.split('.') {
        cur = cur.into_iter().flat_map(|c| children(c, seg)).collect();
    }
    cur
}

impl Cx<'_> {
    fn err(&mut self, loc: &str, msg: String) {
        self.out.push(format!("{loc}: {msg}"));
    }

    /// The direct child element ids of element `id` (base elements, not slices).
    fn child_ids(sd: &Sd, id: &str) -> Vec<usize> {
        let prefix = format!("{id}.");
        sd.elements
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.id.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('.') && !rest.contains(':'))
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn slices(sd: &Sd, id: &str) -> Vec<usize> {
        let prefix = format!("{id}:");
        sd.elements
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.id.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('.') && !rest.contains(':'))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Resolves a reference inside the Bundle being checked.
    fn resolve(&self, r: &Value) -> Option<&Value> {
        let target = r["reference"].as_str()?;
        self.bundle?["entry"]
            .as_array()?
            .iter()
            .find_map(|e| (e["fullUrl"].as_str() == Some(target)).then_some(&e["resource"]))
    }

    fn profile_kind(&self, url: &str) -> Option<&str> {
        self.p.sds.get(url).map(|s| s.kind.as_str())
    }

    /// Whether `v` belongs to slice `s` by `disc`.
    fn in_slice(&self, sd: &Sd, s: &El, disc: &[(String, String)], v: &Value) -> bool {
        disc.iter().all(|(kind, path)| match kind.as_str() {
            "value" | "pattern" => {
                let target_id = if path == "$this" {
                    s.id.clone()
                } else {
                    format!("{}.{path}", s.id)
                };
                let Some(e) = sd.by_id.get(&target_id).map(|&i| &sd.elements[i]) else {
                    return false;
                };
                let want = e.fixed.as_ref().or(e.pattern.as_ref());
                let Some(want) = want else { return false };
                at_path(v, path).iter().any(|x| matches_pattern(x, want))
            }
            "exists" => {
                let target_id = format!("{}.{path}", s.id);
                let must = sd
                    .by_id
                    .get(&target_id)
                    .map(|&i| sd.elements[i].min > 0)
                    .unwrap_or(false);
                at_path(v, path).is_empty() != must
            }
            "type" => {
                let rt = v["resourceType"].as_str();
                s.profiles.iter().any(|p| self.profile_kind(p) == rt) || rt.is_none()
            }
            "profile" => {
                let target: Option<&Value> = match path.as_str() {
                    "resource" => Some(&v["resource"]),
                    "$this" => Some(v),
                    "resolve()" => self.resolve(v),
                    _ => None,
                };
                let Some(t) = target else { return false };
                let el_id = if path == "resource" {
                    format!("{}.resource", s.id)
                } else {
                    s.id.clone()
                };
                let Some(e) = sd.by_id.get(&el_id).map(|&i| &sd.elements[i]) else {
                    return false;
                };
                let profiles = if path == "resolve()" {
                    &e.target_profiles
                } else {
                    &e.profiles
                };
                let rt = t["resourceType"].as_str();
                profiles.iter().any(|p| {
                    self.profile_kind(p) == rt
                        && (profiles.len() == 1
                            || t["meta"]["profile"]
                                .as_array()
                                .is_some_and(|ps| ps.iter().any(|x| x == p.as_str())))
                })
            }
            _ => false,
        })
    }

    fn node(&mut self, sd: &Sd, id: &str, value: &Value, loc: &str) {
        if self.depth > 40 || !value.is_object() {
            return;
        }
        self.depth += 1;
        for ci in Self::child_ids(sd, id) {
            let c = sd.elements[ci].clone();
            let name = c.id.rsplit('.').next().unwrap_or("").to_string();
            let vals = children(value, &name);
            let here = format!("{loc}.{}", name.trim_end_matches("[x]"));
            self.card(&c, vals.len(), &here);
            let slices: Vec<El> = Self::slices(sd, &c.id)
                .into_iter()
                .map(|i| sd.elements[i].clone())
                .collect();
            let mut assigned: Vec<Option<usize>> = vec![None; vals.len()];
            if let (Some((disc, closed)), false) = (&c.slicing, slices.is_empty()) {
                for (vi, v) in vals.iter().enumerate() {
                    assigned[vi] = slices.iter().position(|s| self.in_slice(sd, s, disc, v));
                    if assigned[vi].is_none() && *closed {
                        self.err(
                            &format!("{here}[{vi}]"),
                            "matches no slice of a closed slicing".into(),
                        );
                    }
                }
                for (si, s) in slices.iter().enumerate() {
                    let n = assigned.iter().filter(|a| **a == Some(si)).count();
                    let slice_name = s.id.rsplit(':').next().unwrap_or("");
                    self.card(s, n, &format!("{here}:{slice_name}"));
                }
            }
            for (vi, v) in vals.iter().enumerate() {
                let (el, eid) = match assigned[vi] {
                    Some(si) => (slices[si].clone(), slices[si].id.clone()),
                    None => (c.clone(), c.id.clone()),
                };
                let vloc = format!("{here}[{vi}]");
                if let Some(f) = &el.fixed {
                    if *v != f {
                        self.err(&vloc, format!("must be {f}, is {v}"));
                    }
                }
                if let Some(p) = &el.pattern {
                    if !matches_pattern(v, p) {
                        self.err(&vloc, format!("must match the pattern {p}, is {v}"));
                    }
                }
                // a contained resource (Bundle.entry.resource) against its own profile
                if v.get("resourceType").is_some() && !el.profiles.is_empty() {
                    let rt = v["resourceType"].as_str();
                    let profile = el
                        .profiles
                        .iter()
                        .find(|p| self.profile_kind(p) == rt)
                        .cloned();
                    match profile {
                        Some(p) => {
                            let Some(psd) = self.p.sds.get(&p) else {
                                continue;
                            };
                            let kind = psd.kind.clone();
                            self.node(psd, &kind, v, &format!("{vloc}({kind})"));
                        }
                        None => self.err(
                            &vloc,
                            format!(
                                "a {} where the profile wants {}",
                                rt.unwrap_or("?"),
                                el.profiles.join(" or ")
                            ),
                        ),
                    }
                    continue;
                }
                self.node(sd, &eid, v, &vloc);
            }
        }
        self.depth -= 1;
    }

    fn card(&mut self, e: &El, n: usize, loc: &str) {
        if n < e.min {
            self.err(loc, format!("at least {} required, {n} present", e.min));
        }
        if let Some(max) = e.max {
            if n > max {
                self.err(loc, format!("at most {max} allowed, {n} present"));
            }
        }
    }
}
