//! A DKIM verifier for tests (RFC 6376 relaxed/relaxed, RFC 8463 Ed25519), with the public key
//! given instead of looked up in DNS; [`canonical`] gives what an RSA signature covers, for a
//! verifier outside (the tests use `openssl dgst`).
#![allow(dead_code)] // each including test binary uses a different part of it

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// The tags of the message's `DKIM-Signature`, after it verified against the Ed25519 `key`.
pub fn verify(data: &str, key: &VerifyingKey) -> Result<Vec<(String, String)>, String> {
    let signed = canonical(data, "ed25519-sha256")?;
    let hash = Sha256::digest(signed.data.as_bytes());
    let signature = Signature::from_slice(&signed.signature).map_err(|e| e.to_string())?;
    key.verify_strict(&hash, &signature).map_err(|e| format!("signature does not verify: {e}"))?;
    Ok(signed.tags)
}

/// What a `DKIM-Signature` signs, once the body hash (`bh=`) checked out.
pub struct Signed {
    pub tags: Vec<(String, String)>,
    /// The canonical (relaxed) signed headers, ending with the signature header without `b=`'s
    /// value: the bytes the signer hashed.
    pub data: String,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
}

/// Checks `c=relaxed/relaxed`, the algorithm `a=` and the body hash, and returns what the
/// signature covers (RFC 6376 3.7), for a verifier of the algorithm's signature.
pub fn canonical(data: &str, algorithm: &str) -> Result<Signed, String> {
    let (head, body) = data.split_once("\r\n\r\n").ok_or("no header/body separator")?;
    let headers = unfold(head);
    let signature = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("DKIM-Signature"))
        .map(|(_, value)| value.clone())
        .ok_or("no DKIM-Signature header")?;
    let tags: Vec<(String, String)> = signature
        .split(';')
        .filter_map(|tag| tag.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.split_whitespace().collect::<String>()))
        .collect();
    let tag = |name: &str| tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    if tag("c").as_deref() != Some("relaxed/relaxed") || tag("a").as_deref() != Some(algorithm) {
        return Err(format!("unexpected c= or a= in {signature}"));
    }
    let body_hash = STANDARD.encode(Sha256::digest(relaxed_body(body)));
    if tag("bh") != Some(body_hash.clone()) {
        return Err(format!("bh= {:?} does not match the body hash {body_hash}", tag("bh")));
    }
    let mut signed = String::new();
    for name in tag("h").ok_or("no h=")?.split(':') {
        if let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            signed.push_str(&format!("{}:{}\r\n", name.to_ascii_lowercase(), relaxed_value(value)));
        }
    }
    let without_b: Vec<String> = relaxed_value(&signature)
        .split(';')
        .map(|tag| {
            if tag.trim_start().starts_with("b=") {
                tag.split('=').next().unwrap().to_owned() + "="
            } else {
                tag.to_owned()
            }
        })
        .collect();
    signed.push_str(&format!("dkim-signature:{}", without_b.join(";")));
    let raw = STANDARD.decode(tag("b").ok_or("no b=")?).map_err(|e| e.to_string())?;
    Ok(Signed { tags, data: signed, signature: raw })
}

fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    headers
}

fn relaxed_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn relaxed_body(body: &str) -> Vec<u8> {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            let mut in_space = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    in_space = true;
                } else {
                    if in_space {
                        out.push(' ');
                    }
                    in_space = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    let mut out = lines.join("\r\n");
    if !out.is_empty() {
        out.push_str("\r\n");
    }
    out.into_bytes()
}
