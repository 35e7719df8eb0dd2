//! The decision space of `edgesim explore` (docs/scenario.md, "explore"): `[explore]` says
//! what may change in the layout explored (SRV priority orders, the federation route, the
//! XMPP gateway, Edge server counts), `[costs]` what each Edge server, Edge pool and site
//! costs a year. Both are read apart from the scenario and checked against the layout
//! explored once it is resolved; candidates are made from them by [`crate::explore`].

use super::decode::{Findings, TableReader, read_array, read_integer, read_number, read_string};
use super::tree::{Node, NodeValue};
use crate::topology::Topology;

/// The most records an SRV list may have to be reordered: 6! = 720 priority orders.
pub const MAX_REORDERED_RECORDS: usize = 6;
/// The most candidates a decision space may hold: each is a layout simulated at least in
/// the screening stage.
pub const MAX_CANDIDATES: u64 = 5_000;

/// An SRV list whose priority order may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrvList {
    /// `dns.remote_access`.
    RemoteAccess,
    /// `dns.federation`.
    Federation,
    /// The `remote_access` list of the `[[dns.regions]]` entry with this id (rule G1).
    Region(String),
}

impl SrvList {
    /// The key path in a scenario.
    pub fn key(&self) -> String {
        match self {
            SrvList::RemoteAccess => "dns.remote_access".to_string(),
            SrvList::Federation => "dns.federation".to_string(),
            SrvList::Region(id) => format!("dns.regions.{id}.remote_access"),
        }
    }

    /// The list's words.
    pub fn title(&self) -> String {
        match self {
            SrvList::RemoteAccess => "remote-access SRV order".to_string(),
            SrvList::Federation => "federation SRV order".to_string(),
            SrvList::Region(id) => format!("region {id}'s remote-access order"),
        }
    }

    /// Its records in `layout`, if it has the list.
    pub fn records<'t>(&self, layout: &'t Topology) -> Option<&'t [crate::topology::SrvRecord]> {
        match self {
            SrvList::RemoteAccess => Some(layout.dns.remote_access.records()),
            SrvList::Federation => Some(layout.dns.federation.records()),
            SrvList::Region(id) => layout
                .dns
                .regions
                .iter()
                .find(|region| &region.id == id)
                .map(|region| region.remote_access.records()),
        }
    }
}

/// What `[explore]` lets change.
#[derive(Clone, Debug, Default)]
pub struct ExploreSpace {
    /// SRV lists whose priority order may change (every order, distinct priorities).
    pub reorder: Vec<SrvList>,
    /// Whether reordered lists may also give records equal priorities (every weak
    /// order: records at one priority share its traffic by weight).
    pub equal_priorities: bool,
    /// Front End pool pairings to try: each a plan of pairs (pool, backup), in the order
    /// written; an empty plan pairs no pool.
    pub pairings: Vec<Vec<(String, String)>>,
    /// The layout explored's `front_end_pools` as written (its tree), which a pairing
    /// candidate rewrites whole: a pairing that is not in the plan must go.
    pub front_end_pools: Option<Node>,
    /// Edge pools that may carry the federation route (empty: the layout's own).
    pub route: Vec<String>,
    /// Edge pools that may carry the XMPP gateway (empty: the layout's own).
    pub gateway: Vec<String>,
    /// Edge pools whose server count may change, with the inclusive range.
    pub servers: Vec<(String, u32, u32)>,
    /// The most replication-years the search may spend (`None`: the scenario's
    /// replications for every candidate).
    pub budget_replication_years: Option<u64>,
    /// How a candidate's score is judged across `[[assumptions]]`.
    pub criterion: Criterion,
}

/// How `edgesim explore` judges a candidate across assumptions (`[explore] criterion`;
/// without assumptions both are the score itself, as a ranking).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Criterion {
    /// Its score under the assumption where it does worst (`"worst_case"`, the default).
    #[default]
    WorstCase,
    /// Its largest regret: how far its score is above the best candidate's under the same
    /// assumption, at the assumption where that gap is largest (`"regret"`).
    Regret,
}

impl Criterion {
    /// The name a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::WorstCase => "worst_case",
            Criterion::Regret => "regret",
        }
    }
}

/// `[costs]`: what a layout costs a year, in a unit the planner names.
#[derive(Clone, Debug, PartialEq)]
pub struct Costs {
    /// The unit, e.g. `"EUR"` or `"k$"`.
    pub unit: String,
    /// Per Edge server a year.
    pub edge_server: f64,
    /// Per Edge pool a year (load balancers, certificates, DNS names).
    pub edge_pool: f64,
    /// Per site with an Edge pool a year (perimeter network, links).
    pub site: f64,
}

impl Costs {
    /// The yearly cost of `topology`: its Edge servers, Edge pools, and sites with an
    /// Edge pool.
    pub fn of(&self, topology: &Topology) -> f64 {
        let servers: u64 = topology
            .edge_pools
            .iter()
            .map(|p| u64::from(p.servers))
            .sum();
        let mut sites: Vec<_> = topology.edge_pools.iter().map(|p| p.site).collect();
        sites.sort_unstable();
        sites.dedup();
        self.edge_server * servers as f64
            + self.edge_pool * topology.edge_pools.len() as f64
            + self.site * sites.len() as f64
    }
}

/// Reads `[explore]`: its keys and their types; ids are checked later against the layout
/// explored ([`check_space`]).
pub fn read_explore(node: &Node, findings: &mut Findings) -> Option<ExploreSpace> {
    let table = TableReader::open(
        node,
        "explore",
        &[
            "reorder",
            "route",
            "gateway",
            "servers",
            "budget",
            "criterion",
            "equal_priorities",
            "pairings",
        ],
        findings,
    )?;
    let mut space = ExploreSpace::default();
    if let Some(reorder) = table.optional("reorder") {
        let path = table.path_of("reorder");
        for (i, item) in read_array(reorder, &path, findings)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let item_path = format!("{path}[{i}]");
            let Some(key) = read_string(item, &item_path, findings) else {
                continue;
            };
            let region = key
                .strip_prefix("dns.regions.")
                .map(|rest| rest.strip_suffix(".remote_access").unwrap_or(rest))
                .filter(|id| !id.is_empty() && !id.contains('.'));
            let list = match (key.as_str(), region) {
                ("dns.remote_access", _) => SrvList::RemoteAccess,
                ("dns.federation", _) => SrvList::Federation,
                (_, Some(id)) => SrvList::Region(id.to_string()),
                _ => {
                    findings.error(
                        &item_path,
                        item.span.clone(),
                        format!("\"{key}\" is not an SRV list edgesim can reorder"),
                        "use \"dns.remote_access\", \"dns.federation\" or a region's list, \"dns.regions.<id>\"",
                    );
                    continue;
                }
            };
            if space.reorder.contains(&list) {
                findings.error(
                    &item_path,
                    item.span.clone(),
                    format!("\"{key}\" is listed twice"),
                    "list each SRV list once",
                );
                continue;
            }
            space.reorder.push(list);
        }
    }
    for (key, slot) in [("route", &mut space.route), ("gateway", &mut space.gateway)] {
        if let Some(pools) = table.optional(key) {
            let path = table.path_of(key);
            let items = read_array(pools, &path, findings).unwrap_or(&[]);
            if items.is_empty() {
                findings.error(
                    &path,
                    pools.span.clone(),
                    format!("`{key}` lists no Edge pool"),
                    format!("list the Edge pools that may carry it, e.g. {key} = [\"edge-dublin\", \"edge-amsterdam\"], or remove the key"),
                );
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(id) = read_string(item, &format!("{path}[{i}]"), findings) {
                    if slot.contains(&id) {
                        findings.error(
                            &format!("{path}[{i}]"),
                            item.span.clone(),
                            format!("\"{id}\" is listed twice"),
                            "list each Edge pool once",
                        );
                    } else {
                        slot.push(id);
                    }
                }
            }
        }
    }
    if let Some(servers) = table.optional("servers") {
        let path = table.path_of("servers");
        match &servers.value {
            NodeValue::Table(entries) => {
                for entry in entries {
                    let entry_path = format!("{path}.{}", entry.key);
                    let range = read_array(&entry.node, &entry_path, findings).and_then(|items| {
                        let [low, high] = items else {
                            findings.error(
                                &entry_path,
                                entry.node.span.clone(),
                                format!("expected [least, most], found {} values", items.len()),
                                format!(
                                    "write the inclusive range of servers, e.g. {} = [2, 4]",
                                    entry.key
                                ),
                            );
                            return None;
                        };
                        let low = read_integer(low, &format!("{entry_path}[0]"), 1, 20, findings)?;
                        let high =
                            read_integer(high, &format!("{entry_path}[1]"), 1, 20, findings)?;
                        if low > high {
                            findings.error(
                                &entry_path,
                                entry.node.span.clone(),
                                format!("the range [{low}, {high}] is empty"),
                                "give the least number of servers first",
                            );
                            return None;
                        }
                        Some((low as u32, high as u32))
                    });
                    if let Some((low, high)) = range {
                        space.servers.push((entry.key.clone(), low, high));
                    }
                }
            }
            _ => findings.error(
                &path,
                servers.span.clone(),
                format!("expected a table, found {}", servers.value.type_name()),
                "write servers = { edge-dublin = [2, 4] }",
            ),
        }
    }
    if let Some(budget) = table.optional("budget") {
        space.budget_replication_years = read_integer(
            budget,
            &table.path_of("budget"),
            1,
            i64::try_from(super::schema::MAX_REPLICATIONS).unwrap_or(i64::MAX),
            findings,
        )
        .map(|b| b as u64);
    }
    if let Some(equal) = table.optional("equal_priorities") {
        match &equal.value {
            NodeValue::Boolean(b) => space.equal_priorities = *b,
            other => findings.error(
                &table.path_of("equal_priorities"),
                equal.span.clone(),
                format!("expected true or false, found {}", other.type_name()),
                "write equal_priorities = true to try records at equal priorities too",
            ),
        }
    }
    if let Some(pairings) = table.optional("pairings") {
        let path = table.path_of("pairings");
        let plans = read_array(pairings, &path, findings).unwrap_or(&[]);
        if plans.len() == 1 {
            findings.error(
                &path,
                pairings.span.clone(),
                "`pairings` lists one plan: nothing to choose",
                "list two plans or more, e.g. pairings = [{ fe-a = \"fe-b\" }, {}] ({} pairs no pool)",
            );
        }
        for (i, plan) in plans.iter().enumerate() {
            let plan_path = format!("{path}[{i}]");
            let NodeValue::Table(entries) = &plan.value else {
                findings.error(
                    &plan_path,
                    plan.span.clone(),
                    format!(
                        "expected a table of pairs, found {}",
                        plan.value.type_name()
                    ),
                    "write each plan as { fe-a = \"fe-b\", fe-c = \"fe-d\" }, or {} for no pairing",
                );
                continue;
            };
            let mut pairs = Vec::new();
            for entry in entries {
                if let Some(backup) =
                    read_string(&entry.node, &format!("{plan_path}.{}", entry.key), findings)
                {
                    pairs.push((entry.key.clone(), backup));
                }
            }
            space.pairings.push(pairs);
        }
    }
    if space.equal_priorities && space.reorder.is_empty() {
        findings.error(
            &table.path_of("equal_priorities"),
            table.optional("equal_priorities").and_then(|n| n.span.clone()),
            "equal_priorities applies to the lists in reorder, and reorder names none",
            "add reorder = [\"dns.remote_access\"] (or \"dns.federation\"), or remove equal_priorities",
        );
    }
    if let Some(criterion) = table.optional("criterion") {
        let path = table.path_of("criterion");
        match read_string(criterion, &path, findings).as_deref() {
            Some("worst_case") => space.criterion = Criterion::WorstCase,
            Some("regret") => space.criterion = Criterion::Regret,
            Some(other) => findings.error(
                &path,
                criterion.span.clone(),
                format!("\"{other}\" is not a criterion"),
                "use \"worst_case\" (a candidate's score under the assumption where it does worst) or \"regret\" (its largest gap to the best candidate under one assumption)",
            ),
            None => {}
        }
    }
    if space.reorder.is_empty()
        && space.pairings.is_empty()
        && space.route.is_empty()
        && space.gateway.is_empty()
        && space.servers.is_empty()
    {
        findings.error(
            "explore",
            node.span.clone(),
            "[explore] lets nothing change",
            "name what may change: reorder = [\"dns.remote_access\"], route = [...], gateway = [...] or servers = { edge-x = [2, 4] }",
        );
    }
    Some(space)
}

/// Reads `[costs]`: a unit and non-negative yearly costs (each 0 when not given).
pub fn read_costs(node: &Node, findings: &mut Findings) -> Option<Costs> {
    let table = TableReader::open(
        node,
        "costs",
        &["unit", "edge_server", "edge_pool", "site"],
        findings,
    )?;
    let unit = table
        .optional("unit")
        .and_then(|u| read_string(u, &table.path_of("unit"), findings))
        .unwrap_or_else(|| "cost units".to_string());
    let mut cost = |key: &str| {
        table.optional(key).map_or(0.0, |value| {
            read_number(
                value,
                &table.path_of(key),
                findings,
                "a finite number at least 0 (a yearly cost)",
                |c| (0.0..=1e15).contains(&c),
            )
            .unwrap_or(0.0)
        })
    };
    let (edge_server, edge_pool, site) = (cost("edge_server"), cost("edge_pool"), cost("site"));
    Some(Costs {
        unit,
        edge_server,
        edge_pool,
        site,
    })
}

/// Checks `space` against the layout explored: every Edge pool it names exists, every
/// list it reorders has two records or more and at most [`MAX_REORDERED_RECORDS`], a
/// route or gateway is offered only where the layout has one, and the candidates number
/// at most [`MAX_CANDIDATES`].
pub fn check_space(space: &ExploreSpace, layout: &Topology, node: &Node, findings: &mut Findings) {
    // Each finding points at the key it is about, or at the table.
    let at = |key: &str| {
        node.get(key)
            .and_then(|n| n.span.clone())
            .or_else(|| node.span.clone())
    };
    let pool_exists = |id: &str| layout.edge_pools.iter().any(|p| p.id == id);
    let known = || {
        layout
            .edge_pools
            .iter()
            .map(|p| format!("\"{}\"", p.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for list in &space.reorder {
        let Some(records) = list.records(layout).map(<[_]>::len) else {
            let regions: Vec<String> = layout
                .dns
                .regions
                .iter()
                .map(|r| format!("\"dns.regions.{}\"", r.id))
                .collect();
            findings.error(
                "explore.reorder",
                at("reorder"),
                format!(
                    "the layout explored has no [[dns.regions]] entry \"{}\"",
                    list.key()
                        .trim_start_matches("dns.regions.")
                        .trim_end_matches(".remote_access")
                ),
                if regions.is_empty() {
                    "the layout explored has no [[dns.regions]]: reorder \"dns.remote_access\" or \"dns.federation\"".to_string()
                } else {
                    format!("name one of its regions: {}", regions.join(", "))
                },
            );
            continue;
        };
        if records < 2 {
            findings.error(
                "explore.reorder",
                at("reorder"),
                format!("{} has {records} record(s): nothing to reorder", list.key()),
                "reorder a list of two records or more, or remove it from reorder",
            );
        } else if records > MAX_REORDERED_RECORDS {
            findings.error(
                "explore.reorder",
                at("reorder"),
                format!(
                    "{} has {records} records: {records}! orders are too many to try",
                    list.key()
                ),
                format!("reorder lists of at most {MAX_REORDERED_RECORDS} records; give the others fixed priorities in a layout"),
            );
        }
    }
    for (key, pools) in [("route", &space.route), ("gateway", &space.gateway)] {
        for id in pools {
            if !pool_exists(id) {
                findings.error(
                    &format!("explore.{key}"),
                    at(key),
                    format!("no Edge pool \"{id}\" in the layout explored"),
                    format!("use one of {}", known()),
                );
            }
        }
    }
    if !space.gateway.is_empty() && layout.federation.xmpp_gateway.is_none() {
        findings.error(
            "explore.gateway",
            at("gateway"),
            "the layout explored has no XMPP gateway to move",
            "set federation.xmpp_gateway in the scenario, or remove gateway from [explore]",
        );
    }
    if !space.route.is_empty() && layout.federation.outbound_route.is_none() {
        findings.error(
            "explore.route",
            at("route"),
            "the layout explored has no federation route to move",
            "set federation.outbound_route in the scenario, or remove route from [explore]",
        );
    }
    for (id, _, _) in &space.servers {
        if !pool_exists(id) {
            findings.error(
                &format!("explore.servers.{id}"),
                at("servers"),
                format!("no Edge pool \"{id}\" in the layout explored"),
                format!("use one of {}", known()),
            );
        }
    }
    let fe_exists = |id: &str| layout.front_end_pools.iter().any(|p| p.id == id);
    for (i, plan) in space.pairings.iter().enumerate() {
        let mut paired: Vec<&str> = Vec::new();
        for (pool, backup) in plan {
            for id in [pool, backup] {
                if !fe_exists(id) {
                    findings.error(
                        &format!("explore.pairings[{i}]"),
                        at("pairings"),
                        format!("no Front End pool \"{id}\" in the layout explored"),
                        format!(
                            "use one of {}",
                            layout
                                .front_end_pools
                                .iter()
                                .map(|p| format!("\"{}\"", p.id))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            if pool == backup
                || paired.contains(&pool.as_str())
                || paired.contains(&backup.as_str())
            {
                findings.error(
                    &format!("explore.pairings[{i}]"),
                    at("pairings"),
                    format!("\"{pool}\" = \"{backup}\": a Front End pool is paired with one other, once per plan"),
                    "give each pool at most one backup in a plan, never itself",
                );
            }
            paired.push(pool);
            paired.push(backup);
        }
    }
    let count = candidate_count(space, layout);
    if count > MAX_CANDIDATES {
        findings.error(
            "explore",
            node.span.clone(),
            format!("the space holds {count} candidates; at most {MAX_CANDIDATES} can be screened"),
            "narrow it: fewer lists to reorder, fewer pools for the route or gateway, or narrower server ranges",
        );
    }
}

/// How many candidates `space` makes of `layout` (saturating).
pub fn candidate_count(space: &ExploreSpace, layout: &Topology) -> u64 {
    // Strict orders of n records: n!; with equal priorities, the weak orders (ordered Bell
    // numbers: a(n) = Σ_k C(n, k) a(n − k)).
    let factorial = |n: usize| (1..=n as u64).fold(1u64, u64::saturating_mul);
    let weak_orders = |n: usize| {
        let mut a = vec![1u64; n + 1];
        for m in 1..=n {
            let mut binomial = 1u64;
            let mut sum = 0u64;
            for k in 1..=m {
                binomial = binomial * (m - k + 1) as u64 / k as u64;
                sum = sum.saturating_add(binomial.saturating_mul(a[m - k]));
            }
            a[m] = sum;
        }
        a[n]
    };
    let orders = |n: usize| {
        if space.equal_priorities {
            weak_orders(n)
        } else {
            factorial(n)
        }
    };
    let mut count: u64 = 1;
    for list in &space.reorder {
        let records = list.records(layout).map_or(0, <[_]>::len);
        count = count.saturating_mul(orders(records));
    }
    for choices in [space.route.len(), space.gateway.len(), space.pairings.len()] {
        count = count.saturating_mul(choices.max(1) as u64);
    }
    for (_, low, high) in &space.servers {
        count = count.saturating_mul(u64::from(high - low + 1));
    }
    count
}
