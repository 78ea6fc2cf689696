//! `Adaptive`: consistent probability sampling at a probability that follows the traffic, to
//! sample a target number of spans per second.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingResult, ShouldSample};

use super::clock::{nanos, now_nanos};
use super::composable::{decide, SamplingIntent, SamplingParams};
use super::{Clock, ComposableSampler, MonotonicClock, RateError, SamplerDescription};
use crate::probability::{Threshold, MIN_PROBABILITY};

/// The default time constant of the smoothing.
const DEFAULT_TIME_CONSTANT: Duration = Duration::from_secs(10);
/// The shortest time constant; a shorter one (zero) is taken as this.
const MIN_TIME_CONSTANT: Duration = Duration::from_millis(1);
/// The shortest update interval.
const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(100);
/// How many update intervals' worth of the target may be sampled in one interval before the
/// probability is updated early.
const FLOOD_FACTOR: f64 = 2.0;

/// Samples about `target` spans per second, consistently: a probability sampler (like
/// [`Probability`](super::Probability)) whose probability follows the traffic.
///
/// It counts the spans it is asked about. Every update interval (a tenth of the time
/// constant, at least 100 ms; the first caller to see it elapsed does the update, lock-free)
/// it measures the arrival rate over the interval, smooths it exponentially with the time
/// constant `tau` (`alpha = 1 - exp(-elapsed / tau)`; the first measurement is taken as it
/// is) and sets the probability to `target / smoothed rate`, clamped to `[2^-56, 1]`. The
/// probability is 1 until the first update, and after an idle spell it returns towards 1.
///
/// Each decision is the consistent one at the current threshold (4 significant hex digits):
/// a sampled span carries `ot=th:T` in its tracestate, so its adjusted count is known even
/// though the probability changes (see [`Probability`](super::Probability) for randomness,
/// `rv` and untrusted trace-ids). Like `Probability`, it ignores the parent's sampled flag:
/// use it as the root of [`ParentBased`](super::ParentBased) or
/// [`ParentThreshold`](super::ParentThreshold).
///
/// The sampled rate is a target, not a limit: after a step down in traffic it takes a few
/// time constants to settle. A step up is bounded: once the spans of the current interval
/// would sample twice the interval's target, the probability is updated at once from the
/// observed rate, so a burst after a quiet spell samples about twice the target, not all of
/// it. Combine with [`RateLimited`](super::RateLimited) for a hard cap (which gives up `th`
/// on the spans it passes).
///
/// Clones share the state. Description: `Adaptive{target:10,probability:0.0123}`, with the
/// current probability (3 significant digits).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{Adaptive, ParentThreshold};
///
/// // About 50 traces a second, whatever the traffic; children follow their parent.
/// let sampler = Adaptive::new(50.0)?.with_time_constant(Duration::from_secs(30));
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(ParentThreshold::new(sampler))
///     .build();
/// # let _ = provider;
/// # Ok::<(), tctx::sampler::RateError>(())
/// ```
#[derive(Clone)]
pub struct Adaptive {
    target: f64,
    time_constant: Duration,
    /// Nanoseconds between updates.
    update_interval: u64,
    /// [`FLOOD_FACTOR`] times the target number of sampled spans per update interval.
    flood_count: f64,
    clock: Arc<dyn Clock>,
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    /// The bits of the current threshold.
    threshold: AtomicU64,
    /// Spans asked about since the last update.
    seen: AtomicU64,
    /// When the last update (or the start) was, in nanoseconds on the clock.
    last_update: AtomicU64,
    /// The bits of the smoothed arrival rate (spans per second), NaN before the first update.
    smoothed: AtomicU64,
}

impl State {
    fn new(now: u64) -> Self {
        Self {
            threshold: AtomicU64::new(Threshold::SAMPLE_ALL.bits()),
            seen: AtomicU64::new(0),
            last_update: AtomicU64::new(now),
            smoothed: AtomicU64::new(f64::NAN.to_bits()),
        }
    }
}

/// [`FLOOD_FACTOR`] times the sampled spans `target` per second asks for in `interval`, at
/// least 2 (so a target below one per interval still gets its span).
fn flood_count(target: f64, interval: Duration) -> f64 {
    (FLOOD_FACTOR * target * interval.as_secs_f64()).max(2.0)
}

/// `value` with `digits` significant decimal digits, without trailing zeros.
fn significant(value: f64, digits: i32) -> String {
    if !(value.is_finite() && value > 0.0) {
        return value.to_string();
    }
    // log10 of a positive finite f64 is within [-324, 309].
    #[allow(clippy::cast_possible_truncation)]
    let magnitude = value.log10().floor() as i32;
    let decimals = usize::try_from(digits - 1 - magnitude).unwrap_or(0);
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    text
}

impl Adaptive {
    /// Aims at `target_per_second` sampled spans per second, with a time constant of 10 s, on
    /// the [`MonotonicClock`].
    ///
    /// # Errors
    ///
    /// When the target is not a number above zero and at most 10^9.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::Adaptive;
    ///
    /// let sampler = Adaptive::new(10.0)?;
    /// assert_eq!(sampler.probability(), 1.0); // until it has seen some traffic
    /// assert!(Adaptive::new(0.0).is_err());
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    pub fn new(target_per_second: f64) -> Result<Self, RateError> {
        let target = RateError::check_rate(target_per_second)?;
        let clock: Arc<dyn Clock> = Arc::new(MonotonicClock);
        let state = Arc::new(State::new(now_nanos(clock.as_ref())));
        let update_interval = DEFAULT_TIME_CONSTANT / 10; // 1 s
        Ok(Self {
            target,
            time_constant: DEFAULT_TIME_CONSTANT,
            update_interval: nanos(update_interval),
            flood_count: flood_count(target, update_interval),
            clock,
            state,
        })
    }

    /// The time constant `tau` of the smoothing (default 10 s): after a step in traffic, the
    /// smoothed rate has gone 63% of the way after `tau`, 95% after `3 tau`. Longer is
    /// steadier, shorter follows the traffic faster. Less than 1 ms (zero) is taken as 1 ms.
    /// Updates happen every `tau / 10`, at least every 100 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sampler = tctx::sampler::Adaptive::new(10.0)?.with_time_constant(Duration::from_secs(60));
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn with_time_constant(mut self, tau: Duration) -> Self {
        self.time_constant = tau.max(MIN_TIME_CONSTANT);
        let update_interval = (self.time_constant / 10).max(MIN_UPDATE_INTERVAL);
        self.update_interval = nanos(update_interval);
        self.flood_count = flood_count(self.target, update_interval);
        self
    }

    /// Reads time from `clock` instead of the [`MonotonicClock`]. Starts afresh, at
    /// probability 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{Adaptive, ManualClock};
    ///
    /// let sampler = Adaptive::new(10.0)?.with_clock(ManualClock::new());
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self.state = Arc::new(State::new(now_nanos(self.clock.as_ref())));
        self
    }

    /// The current rejection threshold `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(tctx::sampler::Adaptive::new(10.0)?.threshold(), Threshold::SAMPLE_ALL);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn threshold(&self) -> Threshold {
        Threshold::from_bits(self.state.threshold.load(Ordering::Relaxed))
            .unwrap_or(Threshold::SAMPLE_ALL)
    }

    /// The current sampling probability, that of [`threshold`](Self::threshold).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::sampler::Adaptive::new(10.0)?.probability(), 1.0);
    /// # Ok::<(), tctx::sampler::RateError>(())
    /// ```
    #[must_use]
    pub fn probability(&self) -> f64 {
        self.threshold().probability()
    }

    /// Counts a span, and updates the probability if an update interval has elapsed, or
    /// early if the spans seen in this interval would already sample more than
    /// [`FLOOD_FACTOR`] times the interval's target at the current probability (a burst after
    /// a quiet spell, which the smoothed rate has not seen yet).
    fn observe(&self) {
        let state = &*self.state;
        let seen = state.seen.fetch_add(1, Ordering::Relaxed) + 1;
        // Read the clock after the last update: a reading older than another thread's update
        // could otherwise pass for a clock that stepped back.
        let last = state.last_update.load(Ordering::Acquire);
        let now = now_nanos(self.clock.as_ref());
        let due = now >= last.saturating_add(self.update_interval);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^53
        let flooded = !due && now > last && seen as f64 * self.probability() > self.flood_count;
        if due || flooded {
            // Exactly one caller wins the interval and updates.
            if state
                .last_update
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                let seen = state.seen.swap(0, Ordering::Relaxed);
                self.update(seen, now - last, flooded);
            }
        } else if now.saturating_add(self.update_interval) < last {
            // The clock stepped back (further than threads reading it out of order could):
            // restart the interval from here rather than wait for the clock to catch up.
            if state
                .last_update
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                state.seen.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Folds `seen` spans over `elapsed_nanos` into the smoothed rate, and sets the
    /// probability from it. An early update (`flooded`) takes the observed rate at once when
    /// it is above the smoothed one: the burst is real, and waiting for the average to catch
    /// up is what over-samples it.
    #[allow(clippy::cast_precision_loss)]
    fn update(&self, seen: u64, elapsed_nanos: u64, flooded: bool) {
        let state = &*self.state;
        let elapsed = elapsed_nanos as f64 / 1e9;
        let observed = seen as f64 / elapsed;
        let previous = f64::from_bits(state.smoothed.load(Ordering::Relaxed));
        let smoothed = if previous.is_finite() {
            let alpha = -(-elapsed / self.time_constant.as_secs_f64()).exp_m1();
            let average = previous + alpha * (observed - previous);
            if flooded {
                average.max(observed)
            } else {
                average
            }
        } else {
            observed
        };
        state.smoothed.store(smoothed.to_bits(), Ordering::Relaxed);
        let probability = if smoothed > 0.0 {
            (self.target / smoothed).clamp(MIN_PROBABILITY, 1.0)
        } else {
            1.0
        };
        let threshold = Threshold::from_probability(probability).unwrap_or(Threshold::SAMPLE_ALL);
        state.threshold.store(threshold.bits(), Ordering::Relaxed);
    }
}

impl ComposableSampler for Adaptive {
    /// Counts the span, and intends to sample it at the current threshold, reliably.
    fn sampling_intent<'s>(&'s self, _params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        self.observe();
        SamplingIntent::sample_at(self.threshold())
    }
}

impl ShouldSample for Adaptive {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        decide(
            self,
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        )
    }
}

impl SamplerDescription for Adaptive {
    fn description(&self) -> String {
        format!(
            "Adaptive{{target:{},probability:{}}}",
            self.target,
            significant(self.probability(), 3)
        )
    }
}

impl fmt::Debug for Adaptive {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::trace::{SpanKind, TraceId};
    use opentelemetry_sdk::trace::{SamplingDecision, ShouldSample};
    use rand::rngs::StdRng;
    use rand::{RngCore, SeedableRng};

    use super::{significant, Adaptive};
    use crate::probability::Threshold;
    use crate::sampler::{ManualClock, SamplerDescription};

    /// Simulated traffic: root spans with random trace-ids, evenly spread in time.
    struct Traffic {
        clock: ManualClock,
        rng: StdRng,
    }

    impl Traffic {
        fn new() -> Self {
            Self {
                clock: ManualClock::new(),
                rng: StdRng::seed_from_u64(0x7c7c),
            }
        }

        /// Offers `per_second` spans a second for `seconds`; the number kept each second.
        fn run(&mut self, sampler: &Adaptive, per_second: u32, seconds: u32) -> Vec<u32> {
            let step = Duration::from_secs(1) / per_second;
            (0..seconds)
                .map(|_| {
                    let mut kept = 0;
                    for _ in 0..per_second {
                        self.clock.advance(step);
                        let mut bytes = [0u8; 16];
                        self.rng.fill_bytes(&mut bytes);
                        let result = sampler.should_sample(
                            None,
                            TraceId::from_bytes(bytes),
                            "span",
                            &SpanKind::Server,
                            &[],
                            &[],
                        );
                        if result.decision == SamplingDecision::RecordAndSample {
                            kept += 1;
                            let th = sampler.threshold();
                            let expected = format!("th:{}", th.encode(&mut [0; 14]));
                            assert_eq!(result.trace_state.get("ot"), Some(expected.as_str()));
                        } else {
                            assert_eq!(result.trace_state.get("ot"), None);
                        }
                    }
                    kept
                })
                .collect()
        }
    }

    fn mean(values: &[u32]) -> f64 {
        f64::from(values.iter().sum::<u32>())
            / f64::from(u32::try_from(values.len()).expect("short"))
    }

    #[test]
    fn settles_at_the_target_and_follows_a_step() {
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(10.0)
            .unwrap()
            .with_clock(traffic.clock.clone());
        assert_eq!(sampler.threshold(), Threshold::SAMPLE_ALL);
        println!("  t(s)  offered/s  probability  sampled/s (last 5 s)");
        let table = |t: u32, offered: u32, kept: &[u32]| {
            println!(
                "{t:>6}  {offered:>9}  {:>11.5}  {:>9.1}",
                sampler.probability(),
                mean(kept)
            );
        };
        let mut history = Vec::new();
        for block in 0..12 {
            let kept = traffic.run(&sampler, 100, 5);
            table(5 * (block + 1), 100, &kept);
            history.extend(kept);
        }
        let settled = sampler.probability();
        assert!((settled - 0.1).abs() < 0.005, "probability {settled}");
        let rate = mean(&history[20..]);
        assert!((rate - 10.0).abs() < 1.5, "kept {rate}/s at 100/s");
        assert_eq!(sampler.description(), "Adaptive{target:10,probability:0.1}");

        // A step to 1000 spans a second: the early update catches it within the first
        // interval, so the first seconds sample about the target, not ten times it.
        let mut history = Vec::new();
        for block in 0..12 {
            let kept = traffic.run(&sampler, 1000, 5);
            table(60 + 5 * (block + 1), 1000, &kept);
            history.extend(kept);
        }
        let first = mean(&history[..5]);
        assert!(first < 2.0 * 10.0, "{first}/s right after the step");
        let settled = sampler.probability();
        assert!((settled - 0.01).abs() < 0.0005, "probability {settled}");
        let rate = mean(&history[40..]);
        assert!((rate - 10.0).abs() < 2.0, "kept {rate}/s at 1000/s");
    }

    #[test]
    fn a_burst_after_a_quiet_spell_is_bounded() {
        // Measured before the early update: 10 rounds of 60 s quiet then 1 s at 10,000/s,
        // target 100/s, sampled 65% of the burst spans.
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(100.0)
            .unwrap()
            .with_clock(traffic.clock.clone());
        let mut kept = 0;
        for _ in 0..10 {
            traffic.clock.advance(Duration::from_secs(60));
            kept += traffic.run(&sampler, 10_000, 1)[0];
        }
        let share = f64::from(kept) / 100_000.0;
        println!("burst after quiet: {kept} of 100000 sampled ({share:.4})");
        // At most about twice the target (200/s) plus the early-updated remainder per round.
        assert!(kept < 10 * 400, "{kept} sampled");
    }

    #[test]
    fn idle_returns_to_probability_one() {
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(10.0)
            .unwrap()
            .with_clock(traffic.clock.clone());
        traffic.run(&sampler, 200, 30);
        assert!(sampler.probability() < 0.06);
        traffic.clock.advance(Duration::from_secs(3600));
        traffic.run(&sampler, 1, 1);
        assert_eq!(sampler.threshold(), Threshold::SAMPLE_ALL);
    }

    #[test]
    fn clock_stepping_back_does_not_stop_updates() {
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(10.0)
            .unwrap()
            .with_time_constant(Duration::from_secs(1))
            .with_clock(traffic.clock.clone());
        traffic.clock.set(Duration::from_secs(100));
        traffic.run(&sampler, 100, 10);
        let before = sampler.probability();
        assert!((before - 0.1).abs() < 0.01, "{before}");
        traffic.clock.set(Duration::from_secs(90));
        traffic.run(&sampler, 1000, 5);
        assert!(sampler.probability() < 0.02, "{}", sampler.probability());
    }

    #[test]
    fn zero_time_constant_and_extreme_targets_do_not_panic() {
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(1e9)
            .unwrap()
            .with_time_constant(Duration::ZERO)
            .with_clock(traffic.clock.clone());
        traffic.run(&sampler, 100, 2);
        assert_eq!(sampler.threshold(), Threshold::SAMPLE_ALL);
        let tiny = Adaptive::new(1e-300)
            .unwrap()
            .with_time_constant(Duration::MAX)
            .with_clock(traffic.clock.clone());
        traffic.run(&tiny, 100, 2);
        traffic.clock.set(Duration::MAX);
        traffic.run(&tiny, 10, 1);
        let quick = Adaptive::new(1e-300)
            .unwrap()
            .with_time_constant(Duration::ZERO)
            .with_clock(traffic.clock.clone());
        traffic.clock.set(Duration::ZERO);
        traffic.run(&quick, 100, 2);
        // The smallest threshold at the default precision (12 digits at most): 2^-48.
        assert!(quick.probability() < 1e-14, "{}", quick.probability());
        for target in [0.0, -1.0, f64::NAN, f64::INFINITY, 2e9] {
            assert!(Adaptive::new(target).is_err(), "{target}");
        }
    }

    #[test]
    fn clones_share_the_state() {
        let mut traffic = Traffic::new();
        let sampler = Adaptive::new(5.0)
            .unwrap()
            .with_clock(traffic.clock.clone());
        let clone = sampler.clone();
        traffic.run(&clone, 50, 3);
        assert!((sampler.probability() - 0.1).abs() < 0.01);
        assert_eq!(sampler.threshold(), clone.threshold());
        assert_eq!(format!("{sampler:?}"), sampler.description());
        assert!(format!("{clone:?}").starts_with("Adaptive{target:5,probability:0.1"));
    }

    #[test]
    fn descriptions_have_three_significant_digits() {
        assert_eq!(significant(1.0, 3), "1");
        assert_eq!(significant(0.5, 3), "0.5");
        assert_eq!(significant(0.012_298_583_984_375, 3), "0.0123");
        assert_eq!(significant(0.100_006_103_515_625, 3), "0.1");
        assert_eq!(
            significant(crate::probability::MIN_PROBABILITY, 3),
            "0.0000000000000000139"
        );
        assert_eq!(significant(123.456, 3), "123");
        assert_eq!(significant(0.0, 3), "0");
    }
}
