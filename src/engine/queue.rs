//! The event queue: events ordered by time, then by class (docs/model.md, rule S1: at one instant,
//! recoveries, then failures, then administrator changes, then client connections), then
//! by a tie key the model gives (0 unless given), then by insertion sequence, so equal
//! (time, class, tie) triples pop first-in first-out. The tie key lets the model order
//! simultaneous events by what they are (a component's or FE pool's id) rather than by
//! the order the scenario lists things in (rule S1 in docs/model.md).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimDuration;

/// The order of simultaneous events (docs/model.md), lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventClass {
    /// A component comes back (repair, end of an injected outage).
    Recovery = 0,
    /// A component goes down (failure, start of an injected outage).
    Failure = 1,
    /// An administrator's change.
    Administrator = 2,
    /// Clients: noticing, connecting, retrying, signing in.
    Client = 3,
}

/// Orders simultaneous events of one class (rule S1): wide enough for a cohort's round,
/// FE pool key and group number.
pub type Tie = u128;

struct Scheduled<E> {
    time: SimDuration,
    class: EventClass,
    tie: Tie,
    sequence: u64,
    event: E,
}

impl<E> Scheduled<E> {
    fn key(&self) -> (SimDuration, EventClass, Tie, u64) {
        (self.time, self.class, self.tie, self.sequence)
    }
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Scheduled<E> {
    /// Reversed, so that the max-heap pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// A priority queue of events. Its heap keeps its capacity when emptied, so a reused
/// queue allocates nothing per event in steady state.
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_sequence: u64,
    /// The class and tie key of the event popped last.
    last_popped: (EventClass, Tie),
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_sequence: 0,
            last_popped: (EventClass::Recovery, 0),
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in `class`, with tie key 0.
    pub fn push(&mut self, time: SimDuration, class: EventClass, event: E) {
        self.push_tied(time, class, 0, event);
    }

    /// Schedules `event` at `time` in `class`; among events of the same time and class,
    /// lower `tie` keys pop first.
    pub fn push_tied(&mut self, time: SimDuration, class: EventClass, tie: Tie, event: E) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Scheduled {
            time,
            class,
            tie,
            sequence,
            event,
        });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimDuration, E)> {
        self.heap.pop().map(|s| {
            self.last_popped = (s.class, s.tie);
            (s.time, s.event)
        })
    }

    /// Whether an event of `class` and `tie` pushed at the time of the event popped last
    /// would have popped after it, had it been in the queue already: its (class, tie) is
    /// not lower (equal keys count as after, as a later insertion would).
    pub fn would_follow_last(&self, class: EventClass, tie: Tie) -> bool {
        (class, tie) >= self.last_popped
    }

    /// The time and class of the earliest event.
    pub fn peek_class(&self) -> Option<(SimDuration, EventClass)> {
        self.heap.peek().map(|s| (s.time, s.class))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimDuration> {
        self.heap.peek().map(|s| s.time)
    }

    /// Empties the queue, keeping its memory, and restarts the sequence.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.next_sequence = 0;
        self.last_popped = (EventClass::Recovery, 0);
    }

    /// The number of events waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(micros: u64) -> SimDuration {
        SimDuration::from_micros(micros)
    }

    #[test]
    fn earliest_first_then_class_then_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(t(5), EventClass::Client, "late client");
        queue.push(t(1), EventClass::Client, "client a");
        queue.push(t(1), EventClass::Failure, "failure");
        queue.push(t(1), EventClass::Client, "client b");
        queue.push(t(1), EventClass::Recovery, "recovery");
        queue.push(t(1), EventClass::Administrator, "admin");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "recovery",
                "failure",
                "admin",
                "client a",
                "client b",
                "late client"
            ]
        );
    }

    #[test]
    fn an_event_follows_the_last_popped_one_when_its_class_and_tie_are_not_lower() {
        let mut queue = EventQueue::default();
        queue.push_tied(t(1), EventClass::Client, 5, "client, tie 5");
        queue.pop();
        assert!(!queue.would_follow_last(EventClass::Failure, 9));
        assert!(!queue.would_follow_last(EventClass::Client, 4));
        assert!(queue.would_follow_last(EventClass::Client, 5));
        assert!(queue.would_follow_last(EventClass::Client, 6));
        queue.push_tied(t(2), EventClass::Recovery, 0, "repair");
        queue.pop();
        assert!(queue.would_follow_last(EventClass::Client, 0));
        assert!(queue.would_follow_last(EventClass::Failure, 0));
    }

    #[test]
    fn tie_keys_order_simultaneous_events_of_a_class() {
        let mut queue = EventQueue::default();
        queue.push_tied(t(1), EventClass::Client, 7, "tie 7, first");
        queue.push_tied(t(1), EventClass::Client, 3, "tie 3");
        queue.push(t(1), EventClass::Client, "no tie");
        queue.push_tied(t(1), EventClass::Client, 7, "tie 7, second");
        queue.push_tied(t(1), EventClass::Failure, 9, "failure");
        queue.push_tied(t(0), EventClass::Client, 99, "earlier");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "earlier",
                "failure",
                "no tie",
                "tie 3",
                "tie 7, first",
                "tie 7, second"
            ]
        );
    }

    #[test]
    fn clearing_keeps_nothing_but_memory() {
        let mut queue = EventQueue::default();
        queue.push(t(3), EventClass::Client, 1);
        queue.clear();
        assert!(queue.is_empty());
        queue.push(t(2), EventClass::Client, 2);
        assert_eq!(queue.peek_time(), Some(t(2)));
        assert_eq!(queue.len(), 1);
    }
}
