//! Who among remote users is unserved from now on, and why (docs/output.md, "Causes"),
//! and which Edge pools refuse users for lack of room.

use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, PerEdge};

use super::{Context, RemoteAccess};
use crate::model::metrics::{Cause, NOBODY, WHOLE_USER};
use crate::model::services::Snapshot;

/// The users an Edge pool refuses for lack of room: `level − falling · g(Δ)` after Δ.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Refused {
    /// Refused now.
    pub level: f64,
    /// How many of them the room it frees connects, times g.
    pub falling: f64,
}

impl Refused {
    /// Whether at least one whole user is refused now (the same threshold as an outage).
    pub fn refuses(&self) -> bool {
        self.level >= WHOLE_USER
    }
}

impl RemoteAccess {
    /// Writes who is unserved from now on, and why, into `snapshot`, and per Edge pool the
    /// users it refuses for lack of room into `refused`.
    pub fn fill_snapshot(
        &self,
        ctx: &Context<'_>,
        snapshot: &mut Snapshot,
        refused: &mut PerEdge<Refused>,
    ) {
        refused.reset(self.load.len(), Refused::default());
        for front_end in self.remote_users.indices() {
            let level = &mut snapshot.per_front_end[front_end.index()];
            if !ctx.front_end_up(front_end) {
                let cause = crate::model::federation::front_end_cause(ctx.derived, front_end);
                level[cause.index()] += self.remote_users[front_end];
                continue;
            }
            let (desktop, mobile) = self.unserved(front_end);
            if desktop > NOBODY {
                let cause = self.desktop_cause(ctx, front_end);
                level[cause.index()] += desktop;
                if cause == Cause::Capacity {
                    for record in self.dns.of(front_end).ranked.records() {
                        if ctx.edge_up(record.target) && ctx.allows(front_end, record.target) {
                            refused[record.target].level += desktop;
                        }
                    }
                }
            }
            if mobile > NOBODY {
                let cause = self.mobile_cause(ctx, front_end);
                // Waiting users taking freed room: mobile − k·g(t) = (mobile − k) + k·e^(−t/s).
                let falling = self.plan.absorbing_into[front_end]
                    .map_or(0.0, |edge| self.absorbing_rate(front_end, edge));
                level[cause.index()] += mobile - falling;
                snapshot.decaying_per_front_end[front_end.index()][cause.index()] += falling;
                if cause == Cause::Capacity {
                    let pool = &mut refused[ctx.associated(front_end)];
                    pool.level += mobile;
                    pool.falling += falling;
                }
            }
        }
    }

    /// Whether `edge` has room from now on: room now, or room that its users free as they
    /// sign in elsewhere and that no one waiting takes.
    fn has_room(&self, edge: EdgePoolIndex) -> bool {
        self.plan.has_room[edge]
    }

    /// Why unserved desktop users of an up FE pool are unserved from now on: the pools
    /// their answer may name are down, blocked or full; or, under geo-DNS, the pool their
    /// cached answer names cannot take them while another could (the traffic manager has
    /// not seen the change yet, or caches hold the old answer: rule G1); or they are on
    /// their way.
    pub fn desktop_cause(&self, ctx: &Context<'_>, front_end: FrontEndPoolIndex) -> Cause {
        let answer = self.dns.of(front_end);
        let records = answer.ranked.records();
        let up = |edge: EdgePoolIndex| ctx.edge_up(edge);
        // Only when no target it may reach answers: is one of them up but cut off (D2)?
        let cut_off_or = |cause: Cause| {
            if records
                .iter()
                .any(|r| ctx.derived.cut_off[r.target] && ctx.allows(front_end, r.target))
            {
                Cause::NextHopDown
            } else {
                cause
            }
        };
        if !records.iter().any(|r| up(r.target)) {
            cut_off_or(Cause::AllPoolsDown)
        } else if !records
            .iter()
            .any(|r| up(r.target) && ctx.allows(front_end, r.target))
        {
            cut_off_or(Cause::Firewall)
        } else if !records
            .iter()
            .any(|r| up(r.target) && ctx.allows(front_end, r.target) && self.has_room(r.target))
        {
            Cause::Capacity
        } else if let Some(named) = answer.named()
            && !(up(named) && ctx.allows(front_end, named) && self.has_room(named))
        {
            if answer.cache_is_stale() {
                Cause::DnsCache
            } else {
                Cause::DnsDesign
            }
        } else {
            Cause::ClientFailover
        }
    }

    /// Why unserved mobile users of an up FE pool are unserved from now on (F2: they only
    /// use the associated pool, so another pool being up helps only after re-association).
    pub fn mobile_cause(&self, ctx: &Context<'_>, front_end: FrontEndPoolIndex) -> Cause {
        let edge = ctx.associated(front_end);
        if ctx.derived.cut_off[edge] {
            Cause::NextHopDown
        } else if !ctx.edge_up(edge) {
            crate::model::federation::awaiting_cause(ctx.topology, ctx.derived, front_end)
        } else if !ctx.allows(front_end, edge) {
            Cause::Firewall
        } else if !self.has_room(edge) {
            Cause::Capacity
        } else {
            Cause::ClientFailover
        }
    }
}
