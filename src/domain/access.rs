//! Who may do what in the operator console: an operator's role and an API key's scope, and the
//! one rule that decides between reading and changing.

use serde::{Deserialize, Serialize};

/// An operator's role within one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    /// Sees everything of the tenant, changes nothing.
    Viewer,
    /// Also steps in: pause, resume, cancel, Mahnstopp, contact data, invoices.
    Agent,
    /// An agent who may also manage the tenant's operators and keys.
    Admin,
}

impl OperatorRole {
    pub const ALL: [OperatorRole; 3] = [Self::Viewer, Self::Agent, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// The access this role grants.
    pub fn scope(self) -> KeyScope {
        match self {
            Self::Viewer => KeyScope::Read,
            Self::Agent | Self::Admin => KeyScope::Write,
        }
    }
}

/// What an API key (or a role) lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyScope {
    /// Every `GET` of the tenant.
    Read,
    /// Also every change (invoices, interventions).
    Write,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Read, Self::Write].into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether this scope may change anything.
    pub fn can_write(self) -> bool {
        self == Self::Write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_agents_admins_and_write_keys_change_things() {
        assert!(!OperatorRole::Viewer.scope().can_write());
        assert!(OperatorRole::Agent.scope().can_write());
        assert!(OperatorRole::Admin.scope().can_write());
        assert!(!KeyScope::Read.can_write());
        for role in OperatorRole::ALL {
            assert_eq!(OperatorRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(KeyScope::parse("write"), Some(KeyScope::Write));
        assert_eq!(KeyScope::parse("admin"), None);
    }
}
