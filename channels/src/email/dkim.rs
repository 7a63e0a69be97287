//! DKIM signing (RFC 6376) of outgoing email with lettre, so receivers can check the creditor's domain.

use std::fmt;
use std::sync::Arc;

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::Message;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The key's algorithm. lettre reads RSA keys as PKCS#1 PEM and Ed25519 keys (RFC 8463) as the
/// base64 of the 32-byte private key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DkimAlgorithm {
    #[default]
    Rsa,
    Ed25519,
}

/// How to sign: the `d=` domain, the `s=` selector whose public key is published at
/// `{selector}._domainkey.{domain}`, and the private key. `algorithm` defaults to `"rsa"`.
#[derive(Clone, Deserialize)]
pub struct DkimSettings {
    pub domain: String,
    pub selector: String,
    #[serde(default)]
    pub algorithm: DkimAlgorithm,
    pub private_key: SecretString,
}

impl fmt::Debug for DkimSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSettings")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// DKIM settings that cannot sign, found when the transport is built. Each names its field.
#[derive(Debug, thiserror::Error)]
pub enum DkimSettingsError {
    #[error("dkim {field} must not be empty")]
    Empty { field: &'static str },
    #[error("dkim private_key is not a valid {algorithm} key ({expected}): {reason}")]
    BadKey { algorithm: &'static str, expected: &'static str, reason: String },
}

/// The headers the signature covers. Absent ones are listed too, which RFC 6376 5.4 allows and
/// which stops anyone from adding them later; RFC 8058 requires both unsubscribe headers signed.
/// Not `Content-Type`: lettre writes a multipart's type with the body, so it would sign without
/// it while the receiver's verifier hashes it.
const SIGNED_HEADERS: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Signs messages with one key; cheap to clone.
#[derive(Clone)]
pub struct DkimSigner {
    config: Arc<DkimConfig>,
    domain: String,
}

impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSigner").field("domain", &self.domain).finish_non_exhaustive()
    }
}

impl DkimSigner {
    pub fn new(settings: &DkimSettings) -> Result<Self, DkimSettingsError> {
        for (field, value) in [("domain", &settings.domain), ("selector", &settings.selector)] {
            if value.trim().is_empty() {
                return Err(DkimSettingsError::Empty { field });
            }
        }
        let (algorithm, name, expected) = match settings.algorithm {
            DkimAlgorithm::Rsa => (DkimSigningAlgorithm::Rsa, "rsa", "PKCS#1 PEM, BEGIN RSA PRIVATE KEY"),
            DkimAlgorithm::Ed25519 => {
                (DkimSigningAlgorithm::Ed25519, "ed25519", "base64 of the 32-byte private key")
            }
        };
        let key = DkimSigningKey::new(settings.private_key.expose_secret().trim(), algorithm)
            .map_err(|e| DkimSettingsError::BadKey { algorithm: name, expected, reason: e.to_string() })?;
        let headers = SIGNED_HEADERS.iter().map(|name| HeaderName::new_from_ascii_str(name)).collect();
        // Relaxed for both: relays re-fold long headers and touch trailing whitespace.
        let canonicalization = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        let config = DkimConfig::new(
            settings.selector.trim().to_owned(),
            settings.domain.trim().to_owned(),
            key,
            headers,
            canonicalization,
        );
        Ok(DkimSigner { config: Arc::new(config), domain: settings.domain.trim().to_owned() })
    }

    /// Adds the `DKIM-Signature` header; must be the last change to the message.
    pub(crate) fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(algorithm: DkimAlgorithm, key: &str) -> DkimSettings {
        DkimSettings {
            domain: "mueller-wartung.example".into(),
            selector: "mail2026".into(),
            algorithm,
            private_key: SecretString::from(key),
        }
    }

    #[test]
    fn config_defaults_to_rsa_and_reads_ed25519() {
        let parsed: DkimSettings =
            serde_json::from_str(r#"{"domain":"d.example","selector":"s","private_key":"k"}"#).unwrap();
        assert_eq!(parsed.algorithm, DkimAlgorithm::Rsa);
        let parsed: DkimSettings = serde_json::from_str(
            r#"{"domain":"d.example","selector":"s","algorithm":"ed25519","private_key":"k"}"#,
        )
        .unwrap();
        assert_eq!(parsed.algorithm, DkimAlgorithm::Ed25519);
    }

    #[test]
    fn a_bad_key_is_named_and_not_printed() {
        let err = DkimSigner::new(&settings(DkimAlgorithm::Rsa, "not-a-key-secret")).unwrap_err();
        assert!(err.to_string().contains("private_key"), "{err}");
        assert!(!err.to_string().contains("not-a-key-secret"), "{err}");
        let short = "AAAA";
        let err = DkimSigner::new(&settings(DkimAlgorithm::Ed25519, short)).unwrap_err();
        assert!(err.to_string().contains("ed25519"), "{err}");
        let printed = format!("{:?}", settings(DkimAlgorithm::Rsa, "hunter2-secret"));
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn an_empty_selector_is_named() {
        let mut empty = settings(DkimAlgorithm::Ed25519, "AAAA");
        empty.selector = " ".into();
        let err = DkimSigner::new(&empty).unwrap_err();
        assert!(err.to_string().contains("selector"), "{err}");
    }
}
