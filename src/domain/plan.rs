//! Dunning plans: the stages a case goes through (name, waiting time, tone, fee, allowed
//! channels), and the book that picks a plan per tenant and debtor segment. A plan is every
//! tenant's unless it names the tenants it is for; a tenant neither sees nor uses another
//! tenant's plan.

use super::{ChannelKind, DebtorKind, Invalid, TenantId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How a stage's message speaks to the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Friendly,
    Neutral,
    Firm,
}

impl Tone {
    pub const ALL: [Tone; 3] = [Self::Friendly, Self::Neutral, Self::Firm];

    /// `friendly`, `neutral` or `firm`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|tone| tone.as_str() == raw)
            .ok_or_else(|| Invalid::new(format!("'{raw}' is not a tone (friendly, neutral or firm)")))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Friendly => "friendly",
            Self::Neutral => "neutral",
            Self::Firm => "firm",
        }
    }
}

/// One step of a plan, e.g. "1. Mahnung".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    /// Days to wait after the previous stage's reminder (for the first stage: after intake).
    pub wait_days: u32,
    pub tone: Tone,
    /// What this stage's reminder costs the creditor (print, postage), in the invoice's currency:
    /// charged to the debtor on top of the earlier stages' from default on, capped by the law
    /// (`[creditors.<tenant>.legal] reminder_fee_cap`, 2.50 EUR by default; see
    /// `domain::legal`). Statutory amounts such as the 40 EUR of § 288 (5) BGB are the law's,
    /// not a stage's.
    #[serde(default)]
    pub fee: Decimal,
    /// Channels this stage may use, in the creditor's order of preference.
    pub channels: Vec<ChannelKind>,
    /// Channels to use, in order, when the debtor can be reached on none of `channels`; when none
    /// of these reaches the debtor either, the case escalates. No other channel is ever used.
    /// Default: none.
    #[serde(default)]
    pub fallback: Vec<ChannelKind>,
}

/// A dunning plan's name, e.g. `standard-b2c`: 1 to 64 printable characters, no leading or
/// trailing space (the rule of the creditor's own references).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlanName(String);

impl PlanName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        super::ids::parse_reference(raw).map(Self)
    }
}

super::ids::string_newtype_impls!(PlanName);

impl PartialEq<&str> for PlanName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A named sequence of stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DunningPlan {
    pub name: PlanName,
    pub stages: Vec<Stage>,
    /// Days after the last stage's reminder before an unpaid case is escalated (default 14).
    #[serde(default = "default_escalation_days")]
    pub escalate_after_days: u32,
    /// The tenants this plan is for; empty (the default): every tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<TenantId>,
}

fn default_escalation_days() -> u32 {
    14
}

impl DunningPlan {
    /// Checks what serde cannot: at least one stage, each with at least one channel and no
    /// negative fee.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.stages.is_empty() {
            return Err(Invalid::new(format!("plan '{}' has no stages", self.name)));
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if stage.channels.is_empty() {
                return Err(Invalid::new(format!("plan '{}' stage {} allows no channel", self.name, i + 1)));
            }
            if stage.fee < Decimal::ZERO {
                return Err(Invalid::new(format!("plan '{}' stage {} has a negative fee", self.name, i + 1)));
            }
        }
        Ok(())
    }

    /// Whether `tenant` may see and use this plan.
    pub fn is_for(&self, tenant: &TenantId) -> bool {
        self.tenants.is_empty() || self.tenants.contains(tenant)
    }

    /// The stage at `index` (0-based), if the plan has that many.
    pub fn stage(&self, index: usize) -> Option<&Stage> {
        self.stages.get(index)
    }

    /// The built-in plan for consumers: a friendly reminder on any channel, then escalation with
    /// a reminder's usual cost of 2.50 EUR per stage once the debtor is in default.
    pub fn standard_b2c() -> Self {
        use ChannelKind::*;
        Self {
            name: PlanName("standard-b2c".into()),
            escalate_after_days: default_escalation_days(),
            tenants: Vec::new(),
            stages: vec![
                stage(
                    "Zahlungserinnerung",
                    0,
                    Tone::Friendly,
                    Decimal::ZERO,
                    &[Email, Sms, Whatsapp, Messenger],
                ),
                stage(
                    "1. Mahnung",
                    7,
                    Tone::Neutral,
                    Decimal::new(250, 2),
                    &[Email, Sms, Whatsapp, Messenger, Letter],
                ),
                stage("2. Mahnung", 10, Tone::Neutral, Decimal::new(250, 2), &[Email, Letter, Sms, Whatsapp]),
                stage("Letzte Mahnung", 14, Tone::Firm, Decimal::new(250, 2), &[Letter, Email]),
            ],
        }
    }

    /// The built-in plan for businesses: email first, letters later; the law adds the 40 EUR
    /// flat fee of § 288 (5) BGB once the debtor is in default.
    pub fn standard_b2b() -> Self {
        use ChannelKind::*;
        Self {
            name: PlanName("standard-b2b".into()),
            escalate_after_days: default_escalation_days(),
            tenants: Vec::new(),
            stages: vec![
                stage("Zahlungserinnerung", 0, Tone::Neutral, Decimal::ZERO, &[Email]),
                stage("1. Mahnung", 10, Tone::Neutral, Decimal::ZERO, &[Email, Letter]),
                stage("Letzte Mahnung", 14, Tone::Firm, Decimal::ZERO, &[Letter, Email]),
            ],
        }
    }
}

/// A built-in stage. Its fallback is every other channel, in the enum's order: a reminder on a
/// channel the stage does not prefer beats none (a creditor's own plans choose their fallback).
fn stage(name: &str, wait_days: u32, tone: Tone, fee: Decimal, channels: &[ChannelKind]) -> Stage {
    let fallback = ChannelKind::ALL.into_iter().filter(|c| !channels.contains(c)).collect();
    Stage { name: name.into(), wait_days, tone, fee, channels: channels.to_vec(), fallback }
}

/// Which plan applies to whom: named plans, each segment's default, and tenant overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBook {
    plans: BTreeMap<String, DunningPlan>,
    /// Default plan name per segment, for every tenant without its own default.
    defaults: BTreeMap<DebtorKind, String>,
    /// Per-tenant default plan names per segment.
    tenants: BTreeMap<TenantId, BTreeMap<DebtorKind, String>>,
}

impl Default for PlanBook {
    fn default() -> Self {
        let mut book = Self { plans: BTreeMap::new(), defaults: BTreeMap::new(), tenants: BTreeMap::new() };
        book.insert(DunningPlan::standard_b2c());
        book.insert(DunningPlan::standard_b2b());
        book.defaults.insert(DebtorKind::Consumer, "standard-b2c".into());
        book.defaults.insert(DebtorKind::Business, "standard-b2b".into());
        book
    }
}

impl PlanBook {
    /// Adds or replaces a plan by name.
    pub fn insert(&mut self, plan: DunningPlan) {
        self.plans.insert(plan.name.to_string(), plan);
    }

    /// Makes `plan` the default for `tenant`'s debtors of `kind`.
    pub fn set_tenant_default(
        &mut self,
        tenant: TenantId,
        kind: DebtorKind,
        plan: &str,
    ) -> Result<(), Invalid> {
        self.for_tenant(&tenant, plan)?;
        self.tenants.entry(tenant).or_default().insert(kind, plan.to_owned());
        Ok(())
    }

    /// The names of every plan in the book, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.plans.keys().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Result<&DunningPlan, Invalid> {
        self.plans.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.plans.keys().map(String::as_str).collect();
            Invalid::new(format!("unknown plan '{name}' (known: {})", known.join(", ")))
        })
    }

    /// The plans `tenant` may use, by name.
    pub fn of_tenant<'a>(&'a self, tenant: &'a TenantId) -> impl Iterator<Item = &'a DunningPlan> {
        self.plans.values().filter(move |plan| plan.is_for(tenant))
    }

    /// The plan `name` if `tenant` may use it; the error names only that tenant's plans, so
    /// another tenant's plan looks exactly like one that does not exist.
    pub fn for_tenant(&self, tenant: &TenantId, name: &str) -> Result<&DunningPlan, Invalid> {
        self.plans.get(name).filter(|plan| plan.is_for(tenant)).ok_or_else(|| {
            let known: Vec<&str> = self.of_tenant(tenant).map(|plan| plan.name.as_str()).collect();
            Invalid::new(format!("unknown plan '{name}' (known: {})", known.join(", ")))
        })
    }

    /// The plan for an invoice: the one it names (if the tenant may use it), else the tenant's
    /// default for the segment, else the global default for the segment.
    pub fn resolve(
        &self,
        tenant: &TenantId,
        kind: DebtorKind,
        requested: Option<&str>,
    ) -> Result<&DunningPlan, Invalid> {
        if let Some(name) = requested {
            return self.for_tenant(tenant, name);
        }
        let name = self
            .tenants
            .get(tenant)
            .and_then(|t| t.get(&kind))
            .or_else(|| self.defaults.get(&kind))
            .ok_or_else(|| Invalid::new(format!("no default plan for {} debtors", kind.as_str())))?;
        self.get(name)
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        self.plans.values().try_for_each(DunningPlan::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_plans_are_valid() {
        PlanBook::default().validate().unwrap();
    }

    #[test]
    fn resolution_order() {
        let mut book = PlanBook::default();
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        assert_eq!(book.resolve(&acme, DebtorKind::Consumer, None).unwrap().name, "standard-b2c");
        book.set_tenant_default(acme.clone(), DebtorKind::Consumer, "standard-b2b").unwrap();
        assert_eq!(book.resolve(&acme, DebtorKind::Consumer, None).unwrap().name, "standard-b2b");
        assert_eq!(book.resolve(&other, DebtorKind::Consumer, None).unwrap().name, "standard-b2c");
        assert_eq!(
            book.resolve(&other, DebtorKind::Consumer, Some("standard-b2b")).unwrap().name,
            "standard-b2b"
        );
        assert!(book.resolve(&other, DebtorKind::Consumer, Some("nope")).is_err());
        assert!(book.set_tenant_default(other, DebtorKind::Business, "nope").is_err());
    }

    #[test]
    fn a_tenants_own_plan_is_nobody_elses() {
        let mut book = PlanBook::default();
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        let mut own = DunningPlan::standard_b2c();
        own.name = PlanName::parse("acme-gentle").unwrap();
        own.tenants = vec![acme.clone()];
        book.insert(own);
        let names = |tenant| book.of_tenant(tenant).map(|p| p.name.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&acme), ["acme-gentle", "standard-b2b", "standard-b2c"]);
        assert_eq!(names(&other), ["standard-b2b", "standard-b2c"]);
        assert_eq!(book.for_tenant(&acme, "acme-gentle").unwrap().name, "acme-gentle");
        let refused = book.resolve(&other, DebtorKind::Consumer, Some("acme-gentle")).unwrap_err();
        assert_eq!(refused.0, "unknown plan 'acme-gentle' (known: standard-b2b, standard-b2c)");
        assert!(book.set_tenant_default(other, DebtorKind::Consumer, "acme-gentle").is_err());
        book.set_tenant_default(acme.clone(), DebtorKind::Consumer, "acme-gentle").unwrap();
        assert_eq!(book.resolve(&acme, DebtorKind::Consumer, None).unwrap().name, "acme-gentle");
    }

    #[test]
    fn a_plan_without_channels_is_rejected() {
        let mut plan = DunningPlan::standard_b2c();
        plan.stages[0].channels.clear();
        assert!(plan.validate().is_err());
    }
}
