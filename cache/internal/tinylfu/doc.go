// Package tinylfu implements the cache package's default eviction policy:
// W-TinyLFU (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient
// Cache Admission Policy", 2017) in the design of Caffeine, with the size of
// its admission window chosen by miniature simulations of the workload.
//
// # Algorithm
//
// The capacity (a total weight; entries when every weight is 1) is split
// into an admission window, an LRU queue that starts at 1% of the capacity,
// and a main space that is a segmented LRU: probation (20%) and protected
// (80%). New entries enter the window. Entries pushed out of the window
// become admission candidates and enter probation; when the cache is over
// capacity each candidate competes with the probation LRU entry (the
// victim): the one whose key was requested more often recently stays and the
// other is evicted. A probation entry that is read again is promoted to
// protected; protected overflow is demoted back to probation. This is
// Caffeine's evictFromWindow/evictFromMain, returned one slot at a time by
// Victim.
//
// "More often" is estimated by a 4-bit count-min sketch (four counters per
// key inside one 64-byte block) sized to the capacity. Every 10×capacity
// increments all counters are halved, so the sketch reflects recent
// popularity (aging). On a tie, the candidate (just requested) wins if the
// victim has not been requested for 8×capacity requests. A candidate with
// frequency ≥ 6 that loses is still admitted with probability 1/128, so an
// attacker who inflates a victim's frequency cannot lock every newcomer out
// (hash flooding).
//
// The first fill admits every entry. Its warm-up keys, if they are never
// requested again, keep the frequency of their insertion and would win ties
// against every newcomer; so for capacity/2 requests after the cache first
// fills, an entry not requested since before the cache was half full loses
// a tie, provided the protected segment holds at least 60% of its share
// (most of the main space has been requested again, this entry has not).
// Only the cache applies this, not its simulations (see firstfill.go).
//
// # Window adaptation
//
// A small window favors frequency (scans and one-hit wonders never displace
// popular entries); a large one favors recency (LRU-friendly workloads,
// where Caffeine's 1% window loses up to 10 points to plain LRU). Caffeine
// adapts the window with a hill climber that compares the hit rate of
// successive samples of 10×capacity requests; on short traces or large
// caches it takes too long to move, and it needs noise to leave its lower
// bound. This package instead runs six miniature simulations of itself
// with fixed windows of 1, 10, 25, 50, 80 and 99% (SHARDS-style spatial
// sampling: Waldspurger et al., "Cache Modeling and Optimization using
// Miniature Simulations", USENIX ATC 2017). Requests for one key in 2^r,
// chosen by hash, feed every simulation, whose capacity is the cache's
// divided by 2^r, but at least 1024 (small caches simulate every key). After
// each epoch of about capacity requests, a simulation's score is its hits in
// the epoch plus 0.9× its previous score; when the best score beats the
// current window's by 1% and by the square root of the current score, the
// cache moves its window one grid step toward the best. A score counts
// hits, so its square root is about its spread from chance alone: in the
// first epochs, or with few hits per epoch, a 1% lead is noise, and acting
// on it costs the cache a transition that the simulations, each always in
// its own configuration, never pay (2 points on LIRS's multi1 trace at 500
// entries). Growing the window moves main-space LRU entries into it, at most
// 1000 per operation; shrinking sends window LRU entries to probation.
//
// A move back against the previous one means the scores chase a workload
// that alternates faster than they average (LIRS's zigzag trace: each
// switch costs the cache more than the better window gains), so it doubles
// the epoch, up to 8 base epochs; a move that continues the previous one
// halves it again (Rprop's step rule applied to the decision period).
//
// # Stale history
//
// Halving keeps the order of old counts: after a phase whose keys are never
// requested again, their counts still beat every newcomer's for several
// aging periods, and the main space stays frozen with them. Every 21 epochs
// a trial copies the simulation of the current window with its sketch
// cleared and runs it beside the original for 4 epochs; if the copy scores
// 5% more hits, the history is stale and every simulation and the cache
// clear their sketches.
//
// # Admission modes
//
// On workloads whose reuse is recent rather than frequent (large caches
// over database traces), 2Q and ARC beat the frequency filter: a candidate
// with a short history loses to a victim whose old counts no longer
// predict anything. So the simulations cover each window share in three
// admission modes: frequency (the filter above); ghost, where a candidate
// that was itself rejected recently wins (2Q's A1out list: a pair of Bloom
// filters remembers the last 0.5 to 1×capacity rejected keys, about 10 bits
// each); and all, where every candidate wins (a segmented LRU whose
// protected entries idle for 8×capacity requests are demoted, so that a
// phase change cannot freeze it). When the simulation of another mode at
// the current window share scores 1% and the square root of the current
// score more than the current one, the cache switches to that mode;
// otherwise the window moves as described above.
// Only the simulations that decide run: the current mode's six window
// shares, the other modes at the current share and its grid neighbours,
// and always the frequency mode's six (so a return to it finds its
// history). A simulation that starts to run is first copied from a running
// one of its mode; switching to ghost or all rebuilds that mode's grid from
// its simulation at the current share.
//
// Weighted caches (some weight other than 1) use Caffeine's hill climber
// instead, since sampling keys says little about their weights.
//
// Entries are dense slot numbers assigned by the cache; per-entry state
// (hash, links, time of the last request: 24 bytes) lives in a slice indexed
// by slot, and weights in a second one that only weighted caches have, so
// the policy allocates nothing per operation once the slices and the
// simulations' maps have grown.
//
// # Slot compaction
//
// After the cache shrinks, its entries are spread over the slot range of
// its peak, and so is the per-slot state here. The cache then moves entries
// into free low slots (Move) and cuts the range (Shrink). Move gives the
// new slot the entry's node, relinks its neighbours or its queue's ends,
// moves its weight and renames the slots that the eviction round's cursors
// and the list of heavy entries hold, so the policy behaves exactly as
// without the move: same victims, same state, and an eviction round in
// progress continues. Shrink copies the slices to smaller arrays when they
// are more than about twice what is left (see move.go). The sketch, the
// ghost and the simulations are keyed by hash, not by slot: compaction
// leaves them alone.
//
// # Caveats
//
// A Policy is not safe for concurrent use: the cache serializes calls.
// Victim continues an eviction round only if the cache removes each slot it
// returns (Remove) before calling anything else; otherwise the next Victim
// starts a new round, which is correct but may judge candidates again.
// Hits for slots that were removed are ignored, but a late hit for a slot
// already reused by another key is credited to the new key.
//
// The simulations cost memory and time: eighteen policies (six window
// shares in three admission modes) of min(capacity, 1024…2047) entries,
// plus the trial's copy, about 72 bytes per entry with their key index
// (at most about 3.2 MiB per cache, whatever its capacity); they share one
// frequency sketch, counted once per sampled request, since they all see
// the same requests (only the trial's copy has its own). Only 10 to 12 of
// them run in the frequency mode (14 or 15 in the others), so requests for
// sampled keys cost 11 to 13 policy updates instead of one (one more during
// a trial); in caches of up to 2047 entries every key is sampled, so their
// maintenance is about eleven times Caffeine's. A mode switch copies one
// simulation into up to five others, and a window move one into up to two. The ghost filter costs
// 10 to 20 bits per unit of capacity in unit-weight caches (none in
// weighted ones), and it has false positives (1 to 3%: a candidate never
// rejected may count as a returning one). The tie-break's request clock is
// 32 bits: an entry idle for more than 2^32 requests may look recent
// again, which only forgoes the tie-break. In weighted caches the idle
// limit is 8×capacity requests with the capacity in weight units, so with
// byte weights it rarely applies. The first-fill tie-break's thresholds
// (capacity/2 requests, 60% of the protected share) were chosen on the
// benchmark traces, where it raised LIRS's gli trace at 1,500 and 1,750
// entries by 2.0 and 2.2 points and moved the other 133 points by at most
// 0.25 (thresholds of 0.25 to 1 capacity and 50 to 60% behaved alike); it
// applies only to unit-weight caches. The sketch's estimates saturate at
// 15; the sketch is sized for the capacity of unit-weight caches and for
// the entry count of weighted ones (capped at 2^26 counters). A lower
// capacity folds a unit-weight cache's sketch to its size (each counter
// the largest of those it merges, so estimates only rise), and growing
// again copies each block into the blocks it splits into, so estimates
// survive a pressure step down and back up; a weighted cache's sketch
// folds down to its entry count when the cache compacts (Shrink). Move
// costs O(1) plus the length of the heavy list (almost always empty),
// Shrink O(slots above the cut), plus a copy of the slots kept when it
// reallocates (and of a weighted sketch it folds); Shrink never drops a
// tracked slot (asked to cut below one, it cuts right above the highest).
package tinylfu
