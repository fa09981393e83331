//! `courriel providers`.

use serde_json::Value;

use crate::{courriel, stdout};

#[test]
fn lists_every_provider() {
    let out = courriel(&["providers", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let all = v.as_array().unwrap();
    assert!(all.len() >= 150, "{}", all.len());
    let yahoo = all.iter().find(|p| p["id"] == "yahoo").unwrap();
    assert_eq!(yahoo["smtp"][0]["security"], "implicit-tls");
    assert_eq!(yahoo["tier"], "curated");

    let text = stdout(&courriel(&["providers"]));
    assert_eq!(text.lines().count(), all.len() + 1);
    assert!(text.lines().last().unwrap().ends_with("mail domains"));
}
