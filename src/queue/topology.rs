//! The exchanges, queues and bindings of mahnwerk, named from a namespace, plus the topic-pattern
//! matching the in-memory queue uses to route like RabbitMQ does.

/// The namespace used when none is configured.
pub const DEFAULT_NAMESPACE: &str = "mahnwerk";

/// The delivery channels; each gets its own delivery queue, bound with its name as routing key.
pub const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "messenger", "letter"];

/// The routing key (and `events.kind`) of a reminder's outcome: a decision-log line.
pub const OUTCOME_EVENT: &str = "reminder.outcome";

/// The routing key (and `events.kind`) of what one delivery batch sent: one event per tenant and
/// channel, each listed reminder naming its case, invoice and debtor (`crate::runtime::RemindersSent`).
/// One event per batch rather than per reminder: an event per reminder cost about a sixth of the
/// whole path's throughput (broker, relay and log), for information the batch carries as well.
pub const SENT_EVENT: &str = "reminders.sent";

/// How many messages `{ns}.events.log` keeps.
pub const EVENTS_LOG_MAX_LENGTH: u32 = 100_000;

/// How an exchange routes: by topic pattern (`*` one word, `#` zero or more words) or by equal key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeType {
    Topic,
    Direct,
}

impl ExchangeType {
    /// Whether a message with `routing_key` matches a binding with `binding_key`.
    pub fn matches(self, binding_key: &str, routing_key: &str) -> bool {
        match self {
            ExchangeType::Direct => binding_key == routing_key,
            ExchangeType::Topic => topic_matches(binding_key, routing_key),
        }
    }
}

/// One queue bound to one exchange with one binding key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub exchange: String,
    pub queue: String,
    pub key: String,
}

/// Names of the exchanges and queues, derived from a namespace (default "mahnwerk") so tests can
/// isolate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub namespace: String,
}

impl Default for Topology {
    fn default() -> Self {
        Self::new(DEFAULT_NAMESPACE)
    }
}

impl Topology {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self { namespace: namespace.into() }
    }

    /// `{ns}.intake` (topic): producers publish invoices here, e.g. with key `invoice.overdue`.
    pub fn intake_exchange(&self) -> String {
        format!("{}.intake", self.namespace)
    }

    /// `{ns}.delivery` (direct): the routing key is the channel name.
    pub fn delivery_exchange(&self) -> String {
        format!("{}.delivery", self.namespace)
    }

    /// `{ns}.events` (topic): what happened, for whoever wants to listen.
    pub fn events_exchange(&self) -> String {
        format!("{}.events", self.namespace)
    }

    /// `{ns}.dlx` (topic): rejected intake messages, carrying [`crate::queue::ERROR_HEADER`].
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.namespace)
    }

    /// `{ns}.intake.invoices`, bound to the intake exchange with `invoice.*`.
    pub fn intake_queue(&self) -> String {
        format!("{}.intake.invoices", self.namespace)
    }

    /// `{ns}.intake.rejected`, bound to the dead-letter exchange with `#`.
    pub fn rejected_queue(&self) -> String {
        format!("{}.intake.rejected", self.namespace)
    }

    /// `{ns}.delivery.{channel}`, bound to the delivery exchange with key `channel`.
    pub fn delivery_queue(&self, channel: &str) -> String {
        format!("{}.delivery.{channel}", self.namespace)
    }

    /// `{ns}.events.log`, bound to the events exchange with `#`: the recent history of every
    /// event, for operators and analysts to read. Capped at [`EVENTS_LOG_MAX_LENGTH`] messages
    /// (the oldest are dropped), so it never grows without bound when nobody reads it.
    pub fn events_queue(&self) -> String {
        format!("{}.events.log", self.namespace)
    }

    /// `{ns}.learn.outcomes`, bound to the events exchange with `reminder.outcome`: what the
    /// learner role consumes.
    pub fn learner_queue(&self) -> String {
        format!("{}.learn.outcomes", self.namespace)
    }

    /// The length cap of `queue` (`x-max-length` with `x-overflow: drop-head` on RabbitMQ), if any.
    pub fn max_length(&self, queue: &str) -> Option<u32> {
        (queue == self.events_queue()).then_some(EVENTS_LOG_MAX_LENGTH)
    }

    /// Every exchange with its type.
    pub fn exchanges(&self) -> Vec<(String, ExchangeType)> {
        vec![
            (self.intake_exchange(), ExchangeType::Topic),
            (self.delivery_exchange(), ExchangeType::Direct),
            (self.events_exchange(), ExchangeType::Topic),
            (self.dead_letter_exchange(), ExchangeType::Topic),
        ]
    }

    /// Every queue.
    pub fn queues(&self) -> Vec<String> {
        let mut queues =
            vec![self.intake_queue(), self.rejected_queue(), self.events_queue(), self.learner_queue()];
        queues.extend(CHANNELS.iter().map(|channel| self.delivery_queue(channel)));
        queues
    }

    /// Every binding.
    pub fn bindings(&self) -> Vec<Binding> {
        let bind =
            |exchange: String, queue: String, key: &str| Binding { exchange, queue, key: key.to_string() };
        let mut bindings = vec![
            bind(self.intake_exchange(), self.intake_queue(), "invoice.*"),
            bind(self.intake_exchange(), self.intake_queue(), "case.dispute_resolved"),
            bind(self.intake_exchange(), self.intake_queue(), "catalogue.item"),
            bind(self.dead_letter_exchange(), self.rejected_queue(), "#"),
            bind(self.events_exchange(), self.events_queue(), "#"),
            bind(self.events_exchange(), self.learner_queue(), OUTCOME_EVENT),
        ];
        bindings.extend(
            CHANNELS
                .iter()
                .map(|channel| bind(self.delivery_exchange(), self.delivery_queue(channel), channel)),
        );
        bindings
    }
}

/// AMQP topic matching: words are separated by `.`, `*` matches exactly one word, `#` matches zero
/// or more words.
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = routing_key.split('.').collect();
    words_match(&pattern, &key)
}

fn words_match(pattern: &[&str], key: &[&str]) -> bool {
    match pattern.split_first() {
        None => key.is_empty(),
        Some((&"#", rest)) => (0..=key.len()).any(|skip| words_match(rest, &key[skip..])),
        Some((&word, rest)) => match key.split_first() {
            Some((first, key_rest)) => (word == "*" || word == *first) && words_match(rest, key_rest),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_namespace() {
        let t = Topology::new("ns");
        assert_eq!(t.intake_exchange(), "ns.intake");
        assert_eq!(t.delivery_exchange(), "ns.delivery");
        assert_eq!(t.events_exchange(), "ns.events");
        assert_eq!(t.dead_letter_exchange(), "ns.dlx");
        assert_eq!(t.intake_queue(), "ns.intake.invoices");
        assert_eq!(t.rejected_queue(), "ns.intake.rejected");
        assert_eq!(t.delivery_queue("sms"), "ns.delivery.sms");
        assert_eq!(t.events_queue(), "ns.events.log");
        assert_eq!(Topology::default().namespace, "mahnwerk");
        assert_eq!(t.learner_queue(), "ns.learn.outcomes");
        assert_eq!(t.max_length("ns.events.log"), Some(EVENTS_LOG_MAX_LENGTH));
        assert_eq!(t.max_length("ns.learn.outcomes"), None);
        assert_eq!(t.queues().len(), 9);
        assert_eq!(t.bindings().len(), 11);
    }

    #[test]
    fn topic_patterns() {
        assert!(topic_matches("invoice.*", "invoice.overdue"));
        assert!(!topic_matches("invoice.*", "invoice"));
        assert!(!topic_matches("invoice.*", "invoice.overdue.late"));
        assert!(!topic_matches("invoice.*", "foo"));
        assert!(topic_matches("#", "foo"));
        assert!(topic_matches("#", ""));
        assert!(topic_matches("#", "a.b.c"));
        assert!(topic_matches("a.#", "a"));
        assert!(topic_matches("a.#.c", "a.b.b.c"));
        assert!(topic_matches("a.#.c", "a.c"));
        assert!(!topic_matches("a.#.c", "a.b"));
        assert!(topic_matches("*.b", "a.b"));
        assert!(ExchangeType::Direct.matches("sms", "sms"));
        assert!(!ExchangeType::Direct.matches("sms", "email"));
    }
}
