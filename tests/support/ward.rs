//! The fictional ward of `hikae_app::demo_ward`, and seeding it into the test FHIR server.
#![allow(dead_code)]

pub use hikae_app::demo_ward::*;
use serde_json::{json, Value};

/// POSTs `entries` as batch Bundles of at most 200 to `base`; panics on any refusal.
pub fn seed(base: &str, entries: Vec<Value>) {
    for chunk in entries.chunks(200) {
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": chunk});
        let mut resp = ureq::post(base)
            .header("Content-Type", "application/fhir+json")
            .send(serde_json::to_vec(&bundle).expect("json").as_slice())
            .expect("server answers");
        let reply: Value =
            serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
        for (i, e) in reply["entry"]
            .as_array()
            .expect("entries")
            .iter()
            .enumerate()
        {
            let s = e["response"]["status"].as_str().unwrap_or("");
            assert!(
                s.starts_with("200") || s.starts_with("201"),
                "seeding entry {i} refused: {e}"
            );
        }
    }
}
