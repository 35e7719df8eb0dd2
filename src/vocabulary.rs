//! The words every floor shares: the services edgesim reports on and the causes it
//! blames (docs/output.md). They sit below the scenario, the topology and the model, so
//! that each of those can name them without reaching up.

/// A service whose availability edgesim reports.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Remote users reaching their FE pool through an Edge pool (R3, R4, F2); per remote user.
    RemoteAccess = 0,
    /// Partners' requests reaching an Edge pool (R5, F1); organisation level.
    FederationInbound = 1,
    /// Users federating out through the route (R6); per user.
    FederationOutbound = 2,
    /// Partners' XMPP traffic reaching the gateway (R7, F3); organisation level.
    XmppInbound = 3,
    /// XMPP traffic leaving through the gateway (R7); organisation level.
    XmppOutbound = 4,
    /// The media path through the associated Edge pool (R8); per user.
    EdgeAssociation = 5,
}

/// The number of services.
pub const SERVICE_COUNT: usize = 6;

impl Service {
    /// Every service, in report order.
    pub const ALL: [Service; SERVICE_COUNT] = [
        Service::RemoteAccess,
        Service::FederationInbound,
        Service::FederationOutbound,
        Service::XmppInbound,
        Service::XmppOutbound,
        Service::EdgeAssociation,
    ];

    /// Its position in [`Service::ALL`] (and in every per-service array).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in files and traces.
    pub fn name(self) -> &'static str {
        match self {
            Service::RemoteAccess => "remote_access",
            Service::FederationInbound => "federation_inbound",
            Service::FederationOutbound => "federation_outbound",
            Service::XmppInbound => "xmpp_inbound",
            Service::XmppOutbound => "xmpp_outbound",
            Service::EdgeAssociation => "edge_association",
        }
    }

    /// The service called `name` in files (`remote_access`, ...), if any.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Every service's name, joined for a message.
    pub fn names() -> String {
        Service::ALL.map(Service::name).join(", ")
    }

    /// The name a reader sees in charts and the report.
    pub fn title(self) -> &'static str {
        match self {
            Service::RemoteAccess => "Remote access",
            Service::FederationInbound => "Inbound federation",
            Service::FederationOutbound => "Outbound federation",
            Service::XmppInbound => "Inbound XMPP",
            Service::XmppOutbound => "Outbound XMPP",
            Service::EdgeAssociation => "Edge association (media)",
        }
    }

    /// Whether the service is measured per user and reported per FE pool (docs/output.md);
    /// the others are organisation-level, scope `all` only.
    pub fn per_user(self) -> bool {
        matches!(
            self,
            Service::RemoteAccess | Service::FederationOutbound | Service::EdgeAssociation
        )
    }
}

/// Why a moment is unserved; the first cause that holds, in this order (docs/output.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The user's FE pool is down.
    FrontEndDown = 0,
    /// No target is up.
    AllPoolsDown = 1,
    /// No up target that the FE pool may reach.
    Firewall = 2,
    /// No reachable up target with room.
    Capacity = 3,
    /// A needed administrator change is pending.
    AwaitingAdmin = 4,
    /// Partners still use an old DNS answer.
    DnsCache = 5,
    /// A request failed on a down pool while another was up.
    DnsDesign = 6,
    /// Clients detecting, timing out and retrying.
    ClientFailover = 7,
    /// The user's FE pool is down and its failover to the backup pool is not complete
    /// (rule D1).
    PoolFailoverPending = 8,
    /// The only Edge pools that would serve the user are up but cut off from their next
    /// hop (rule D2).
    NextHopDown = 9,
}

/// The number of causes.
pub const CAUSE_COUNT: usize = 10;

impl Cause {
    /// Every cause, in precedence order. The two disaster-recovery causes (rules D1, D2)
    /// came last into the per-cause arrays (their discriminants) but rank by precedence
    /// here.
    pub const ALL: [Cause; CAUSE_COUNT] = [
        Cause::FrontEndDown,
        Cause::PoolFailoverPending,
        Cause::NextHopDown,
        Cause::AllPoolsDown,
        Cause::Firewall,
        Cause::Capacity,
        Cause::AwaitingAdmin,
        Cause::DnsCache,
        Cause::DnsDesign,
        Cause::ClientFailover,
    ];

    /// Its position in [`Cause::ALL`] (and in every per-cause array).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in files and traces.
    pub fn name(self) -> &'static str {
        match self {
            Cause::FrontEndDown => "front_end_down",
            Cause::AllPoolsDown => "all_pools_down",
            Cause::Firewall => "firewall",
            Cause::Capacity => "capacity",
            Cause::AwaitingAdmin => "awaiting_admin",
            Cause::DnsCache => "dns_cache",
            Cause::DnsDesign => "dns_design",
            Cause::ClientFailover => "client_failover",
            Cause::PoolFailoverPending => "pool_failover_pending",
            Cause::NextHopDown => "next_hop_down",
        }
    }

    /// Whether the cause exists only in a layout with disaster recovery (a FE pool with a
    /// `backup`, an Edge pool with a `next_hop`: rules D1, D2); outputs list it only then.
    pub fn needs_recovery(self) -> bool {
        matches!(self, Cause::PoolFailoverPending | Cause::NextHopDown)
    }
}
