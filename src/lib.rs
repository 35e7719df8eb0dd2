//! edgesim: a discrete-event, Monte Carlo simulator of Edge pool outages in a multi-site
//! Lync Server 2013 deployment (see SPEC.md and docs/).
//!
//! Data flows one way: [`scenario`] turns a file into a checked [`topology::Scenario`];
//! the simulator (next issues) reads only the resolved topology.

pub mod cli;
pub mod distribution;
pub mod engine;
pub mod scenario;
pub mod time;
pub mod topology;
