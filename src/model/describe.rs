//! What an event did, as data ([`Happened`]), and the words a trace gives it. The event
//! loop only builds a [`Happened`] (no text, no allocation but an administrator's
//! account); its words are made only when a trace is being recorded.

use crate::time::{SimDuration, human};
use crate::topology::{EdgePoolIndex, Topology};

use super::components::{ComponentId, Components};
use super::remote_access::{ClientStep, StepReport, WalkOn};

/// What handling one event did.
pub(super) enum Happened {
    /// A component failed; it is repaired after `repair`.
    Failure {
        component: ComponentId,
        repair: SimDuration,
    },
    /// A component was repaired.
    Repair { component: ComponentId },
    /// Injected outage `index` started or ended.
    Outage { index: u32, starts: bool },
    /// A cohort of remote users took a step.
    Client(StepReport),
    /// Remote access's plan reached a milestone, for `reason`.
    Milestone { reason: &'static str },
    /// The administrator acted, as they say it.
    Admin { said: String },
    /// Partners' cached answers expired.
    DnsExpiry,
    /// The traffic manager's health checks see `pool` up or down; it now answers `answer`.
    GeoDns {
        pool: EdgePoolIndex,
        up: bool,
        answer: EdgePoolIndex,
    },
    /// Region `region`'s traffic manager (rule G1) sees `pool` up or down; it now
    /// publishes `answer`.
    RegionHealthCheck {
        region: usize,
        pool: EdgePoolIndex,
        up: bool,
        answer: EdgePoolIndex,
    },
    /// Region `region`'s clients' cached answer now names `pool` (rule G1).
    RegionAnswer { region: usize, pool: EdgePoolIndex },
}

impl Happened {
    /// Whether it may have changed what any service, flow or outage depends on (a client
    /// step that connected nobody did not).
    pub(super) fn changes_state(&self) -> bool {
        match self {
            Happened::Client(report) => report.changes_state,
            _ => true,
        }
    }

    /// A trace's kind, target and detail for it, at `now`.
    pub(super) fn describe(
        &self,
        topology: &Topology,
        components: &Components,
        now: SimDuration,
    ) -> (&'static str, String, String) {
        match self {
            Happened::Failure { component, repair } => (
                "failure",
                components.name(topology, *component),
                format!("repair in {}", human(*repair)),
            ),
            Happened::Repair { component } => (
                "repair",
                components.name(topology, *component),
                String::new(),
            ),
            Happened::Outage { index, starts } => {
                let outage = &topology.outages[*index as usize];
                let detail = if *starts {
                    format!("injected outage for {}", human(outage.duration))
                } else {
                    String::new()
                };
                let kind = if *starts {
                    "outage_start"
                } else {
                    "outage_end"
                };
                (kind, outage.target_id.clone(), detail)
            }
            Happened::Client(report) => (
                "client",
                topology.front_end_pools[report.front_end.index()]
                    .id
                    .clone(),
                client_step(topology, report, now),
            ),
            Happened::Milestone { reason } => ("sign_in_flow", String::new(), reason.to_string()),
            Happened::Admin { said } => ("admin", String::new(), said.clone()),
            Happened::DnsExpiry => (
                "dns",
                String::new(),
                "partners' cached answers expire".to_string(),
            ),
            Happened::GeoDns { pool, up, answer } => {
                let seen = if *up { "up" } else { "down" };
                (
                    "geo_dns",
                    topology.edge_pools[pool.index()].id.clone(),
                    format!(
                        "health checks see it {seen}; the traffic manager answers {}",
                        topology.edge_pools[answer.index()].id
                    ),
                )
            }
            Happened::RegionHealthCheck {
                region,
                pool,
                up,
                answer,
            } => {
                let seen = if *up { "up" } else { "down" };
                (
                    "geo_dns",
                    topology.edge_pools[pool.index()].id.clone(),
                    format!(
                        "region {}: health checks see it {seen}; its traffic manager answers {}",
                        topology.dns.regions[*region].id,
                        topology.edge_pools[answer.index()].id
                    ),
                )
            }
            Happened::RegionAnswer { region, pool } => (
                "dns",
                topology.dns.regions[*region].id.clone(),
                format!(
                    "remote users' cached answer now names {}",
                    topology.edge_pools[pool.index()].id
                ),
            ),
        }
    }
}

/// A cohort's step in words.
fn client_step(topology: &Topology, report: &StepReport, now: SimDuration) -> String {
    let fe_id = &topology.front_end_pools[report.front_end.index()].id;
    let edge_id = |edge: EdgePoolIndex| &topology.edge_pools[edge.index()].id;
    let users = report.users;
    let mut detail = match report.step {
        ClientStep::MobileNoticed => format!(
            "{users:.1} mobile users of {fe_id} noticed; they wait for their associated Edge pool"
        ),
        ClientStep::Connected { edge, connected } => {
            let mut text = format!(
                "{connected:.1} users of {fe_id} connected to {}",
                edge_id(edge)
            );
            if report.walk_on.is_some() {
                text.push_str(&format!("; {:.1} found it full", report.left));
            }
            text
        }
        ClientStep::Refused { edge, why } => format!(
            "{users:.1} users of {fe_id} tried {}: {}",
            edge_id(edge),
            why.words()
        ),
        ClientStep::Futile => format!(
            "{users:.1} users of {fe_id} found no Edge pool; the firewall blocks every remote-access target, so they stop walking"
        ),
        ClientStep::Retry { wait } => {
            format!("{users:.1} users of {fe_id} found no Edge pool; retry in {wait}")
        }
        ClientStep::Parked => format!(
            "{users:.1} users of {fe_id} found no Edge pool; they wait for an Edge pool to change"
        ),
    };
    if let Some(walk_on) = &report.walk_on {
        detail.push_str(&passed_over(topology, walk_on, now));
    }
    detail
}

/// What a cohort passed over without an event, and where it goes next (empty when it
/// passed over nothing).
fn passed_over(topology: &Topology, walk_on: &WalkOn, now: SimDuration) -> String {
    if walk_on.passed.is_empty() {
        return String::new();
    }
    let wait = human(SimDuration::from_micros(
        walk_on.at.as_micros().saturating_sub(now.as_micros()),
    ));
    let then = match walk_on.next {
        Some(edge) => format!(
            "they try {} in {wait}",
            topology.edge_pools[edge.index()].id
        ),
        None => format!("their walk ends in {wait}"),
    };
    let passed: Vec<String> = walk_on
        .passed
        .iter()
        .map(|(edge, why)| format!("{} ({})", topology.edge_pools[edge.index()].id, why.words()))
        .collect();
    format!(
        "; {} cannot answer before they get there: {then}",
        passed.join(", ")
    )
}
