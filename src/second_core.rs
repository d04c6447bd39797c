//! The second core of a render: one helper thread that takes jobs in turn (read the
//! schema, compile the templates, render a share of the files) while the calling thread
//! reads the spec, validates it and renders the rest.
//!
//! A job is only offered: the calling thread, when it needs the result, runs the job
//! itself if the helper has not started it yet, and waits only for a job under way. On
//! a small virtual machine a new or sleeping thread may run only a few milliseconds after
//! it is woken, when the host gets round to its virtual CPU (docs/bench.md, sixth round);
//! a render never waits for that, and is then as fast as on one core.
//!
//! One thread for the whole render, started before the spec is read, rather than one
//! per step: each new thread also pays its start and a fresh allocator heap (a zeroed
//! 2 MiB page), where this one reuses the memory of its earlier jobs. A thread that
//! waits for the other one watches for it, running, for a moment ([`SPIN`]) before it
//! sleeps: waking a sleeping virtual CPU costs about as long as the waits of a render.
//!
//! Without a helper (the process may use one CPU only, or a process or memory limit
//! refuses the thread), every job runs when its result is taken: one step after the
//! other.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The helper thread, as a queue of jobs. It ends when this is dropped, once it has
/// gone through its queue.
pub struct SecondCore {
    jobs: Option<mpsc::Sender<Job>>,
}

impl SecondCore {
    /// Starts the helper; none when this process may use only one CPU (the helper would
    /// only take turns with this thread) or the system refuses a thread.
    pub fn start() -> Self {
        let placement = placement::Placement::of_this_thread();
        if placement.is_one_cpu() {
            return Self::none();
        }
        let (sender, jobs) = mpsc::channel::<Job>();
        let started = thread::Builder::new()
            .name("hagen-second-core".into())
            .spawn(move || {
                while let Some(job) = next_job(&jobs) {
                    // Before every job, not only the first: the helper may run before
                    // `start_elsewhere` below has confined it, and would then stay
                    // confined.
                    placement.free_this_thread();
                    job();
                }
            });
        let Ok(helper) = started else {
            return Self::none();
        };
        placement.start_elsewhere(&helper);
        Self { jobs: Some(sender) }
    }

    /// No helper: every job runs when its result is taken.
    pub fn none() -> Self {
        Self { jobs: None }
    }

    /// Whether a helper takes jobs.
    pub fn is_available(&self) -> bool {
        self.jobs.is_some()
    }

    /// Offers `job` to the helper, after the jobs offered before it. [`Offered::take`]
    /// gives its result: run by the helper, or there and then if the helper has not
    /// started it. Dropping the [`Offered`] withdraws a job the helper has not started
    /// (a render that stops at an invalid spec compiles no templates behind its back).
    pub fn offer<T, F>(&self, job: F) -> Offered<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Offered(job)),
            done: Condvar::new(),
            finished: AtomicBool::new(false),
        });
        if let Some(jobs) = &self.jobs {
            let helper_slot = Arc::clone(&slot);
            // A helper that is gone (it cannot panic: jobs are caught) leaves the job to
            // `take`.
            let _ = jobs.send(Box::new(move || helper_slot.run_if_offered()));
        }
        Offered { slot }
    }
}

/// A job offered to the second core, and then its result.
pub struct Offered<T, F> {
    slot: Arc<Slot<T, F>>,
}

struct Slot<T, F> {
    state: Mutex<State<T, F>>,
    /// Signalled when a job the helper started is done.
    done: Condvar,
    /// Set when a job the helper started is done, for a `take` that waits spinning.
    finished: AtomicBool,
}

/// How long a thread that waits for the other one first watches for it, running,
/// before it sleeps: a sleeping virtual CPU takes 0.1-0.2 ms to wake (docs/bench.md,
/// sixth round), about as long as the waits of a render.
const SPIN: Duration = Duration::from_micros(300);

/// The helper's next job: watched for during [`SPIN`], then waited for asleep; `None`
/// once the queue is closed and empty.
fn next_job(jobs: &mpsc::Receiver<Job>) -> Option<Job> {
    let start = Instant::now();
    loop {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if start.elapsed() < SPIN => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Empty) => return jobs.recv().ok(),
        }
    }
}

enum State<T, F> {
    /// Nobody started it.
    Offered(F),
    /// The helper is running it.
    Running,
    Done(thread::Result<T>),
    /// `take` ran it or took its result, or the job was withdrawn.
    Taken,
}

impl<T, F: FnOnce() -> T> Slot<T, F> {
    /// The helper's side: runs the job unless `take` got to it first.
    fn run_if_offered(&self) {
        let job = {
            let mut state = lock(&self.state);
            match std::mem::replace(&mut *state, State::Running) {
                State::Offered(job) => job,
                taken => {
                    *state = taken;
                    return;
                }
            }
        };
        let result = catch_unwind(AssertUnwindSafe(job));
        *lock(&self.state) = State::Done(result);
        self.finished.store(true, Ordering::Release);
        self.done.notify_all();
    }
}

impl<T, F: FnOnce() -> T> Offered<T, F> {
    /// The job's result: waits for the helper when it is running the job, runs the job
    /// here when it has not started. A panic in the job resumes here.
    pub fn take(self) -> T {
        let mut state = lock(&self.slot.state);
        loop {
            match std::mem::replace(&mut *state, State::Taken) {
                State::Offered(job) => {
                    drop(state);
                    return job();
                }
                State::Running => {
                    // Watched for during SPIN, then waited for asleep.
                    *state = State::Running;
                    drop(state);
                    let start = Instant::now();
                    while !self.slot.finished.load(Ordering::Acquire) && start.elapsed() < SPIN {
                        std::hint::spin_loop();
                    }
                    state = lock(&self.slot.state);
                    if !matches!(*state, State::Running) {
                        continue;
                    }
                    state = self
                        .slot
                        .done
                        .wait(state)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                State::Done(result) => {
                    return result.unwrap_or_else(|panic| resume_unwind(panic));
                }
                State::Taken => unreachable!("an offered job is taken once (`take` owns it)"),
            }
        }
    }
}

impl<T, F> Offered<T, F> {
    /// The job's result if the helper started it (waiting for it to finish), or `None`,
    /// the job withdrawn, if it has not: for a result nobody needs but whose job must not
    /// be left half done, or run for nothing.
    pub fn take_if_started(self) -> Option<T>
    where
        F: FnOnce() -> T,
    {
        {
            let mut state = lock(&self.slot.state);
            if matches!(*state, State::Offered(_)) {
                *state = State::Taken;
                return None;
            }
        }
        // Running or done: the helper never puts a job back.
        Some(self.take())
    }
}

/// Where the helper starts (Linux): on another CPU than the thread that starts it.
///
/// Linux queues a new thread on the CPU of the thread that creates it and, while that
/// one stays busy, moves it to an idle CPU only when balancing the load at a later
/// timer tick: 1 to 4 ms on a two-CPU virtual machine, about the whole time a render
/// takes, so the helper would start when the work is done (docs/bench.md, sixth round).
/// The helper is therefore created allowed only on the other CPUs (the kernel moves it
/// to one at once), and allowed everywhere again as soon as it takes a job. Once it has run on
/// an idle CPU, Linux wakes it there. Best effort: a call that fails leaves Linux's own
/// placement.
#[cfg(target_os = "linux")]
mod placement {
    use std::os::unix::thread::JoinHandleExt;

    #[derive(Clone, Copy)]
    pub struct Placement {
        /// The CPUs this process may use (`taskset`, cgroups), when known.
        allowed: Option<libc::cpu_set_t>,
    }

    impl Placement {
        pub fn of_this_thread() -> Self {
            // SAFETY: `cpu_set_t` is plain data (all zeros is the empty set), and
            // sched_getaffinity writes at most its size.
            let allowed = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                (libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0)
                    .then_some(set)
            };
            Self { allowed }
        }

        /// Whether this thread may run on one CPU only (`taskset -c 0`).
        pub fn is_one_cpu(&self) -> bool {
            // SAFETY: CPU_COUNT reads the set.
            self.allowed
                .is_some_and(|allowed| unsafe { libc::CPU_COUNT(&allowed) } < 2)
        }

        /// The new thread `helper`, not started yet, may start on any allowed CPU but
        /// the one this thread runs on.
        pub fn start_elsewhere<T>(&self, helper: &std::thread::JoinHandle<T>) {
            let Some(mut elsewhere) = self.allowed else {
                return;
            };
            // SAFETY: sched_getcpu takes nothing; the CPU_* functions index inside the
            // set (checked against its size); pthread_setaffinity_np reads the set, for a
            // thread whose handle is alive (not joined, not detached).
            unsafe {
                let Ok(here) = usize::try_from(libc::sched_getcpu()) else {
                    return;
                };
                if here >= libc::CPU_SETSIZE as usize {
                    return;
                }
                libc::CPU_CLR(here, &mut elsewhere);
                libc::pthread_setaffinity_np(
                    helper.as_pthread_t(),
                    size_of::<libc::cpu_set_t>(),
                    &elsewhere,
                );
            }
        }

        /// The calling thread may run on every allowed CPU again.
        pub fn free_this_thread(&self) {
            if let Some(allowed) = &self.allowed {
                // SAFETY: sched_setaffinity reads the set, for the calling thread.
                unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), allowed) };
            }
        }
    }
}

/// Elsewhere, the system's own placement.
#[cfg(not(target_os = "linux"))]
mod placement {
    #[derive(Clone, Copy)]
    pub struct Placement;

    impl Placement {
        pub fn of_this_thread() -> Self {
            Self
        }
        pub fn is_one_cpu(&self) -> bool {
            std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() < 2)
        }
        pub fn start_elsewhere<T>(&self, _helper: &std::thread::JoinHandle<T>) {}
        pub fn free_this_thread(&self) {}
    }
}

impl<T, F> Drop for Offered<T, F> {
    fn drop(&mut self) {
        let mut state = lock(&self.slot.state);
        if matches!(*state, State::Offered(_)) {
            *state = State::Taken;
        }
    }
}

/// The lock, even after a panic elsewhere: the state is replaced whole, never left half
/// updated.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_offered_job_runs_once_and_gives_its_result() {
        for core in [SecondCore::start(), SecondCore::none()] {
            let runs = Arc::new(AtomicUsize::new(0));
            let offered: Vec<_> = (0..50)
                .map(|n| {
                    let runs = Arc::clone(&runs);
                    core.offer(move || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        n * 2
                    })
                })
                .collect();
            // Taken in the reverse order: the last ones are most likely not started,
            // so `take` runs some itself while the helper runs others.
            let results: Vec<_> = offered.into_iter().rev().map(Offered::take).collect();
            assert_eq!(results, (0..50).rev().map(|n| n * 2).collect::<Vec<_>>());
            drop(core);
            assert_eq!(runs.load(Ordering::SeqCst), 50, "each job ran exactly once");
        }
    }

    #[test]
    fn a_job_dropped_before_the_helper_starts_it_never_runs() {
        let core = SecondCore::start();
        let (release, released) = mpsc::channel::<()>();
        // Keeps the helper busy until the second job is withdrawn.
        let first = core.offer(move || released.recv().unwrap());
        let ran = Arc::new(AtomicBool::new(false));
        let second = {
            let ran = Arc::clone(&ran);
            core.offer(move || ran.store(true, Ordering::SeqCst))
        };
        drop(second);
        release.send(()).unwrap();
        first.take();
        // A job queued after the withdrawn one: the helper had its chance to run that.
        core.offer(|| ()).take();
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[test]
    fn take_waits_for_a_job_the_helper_started() {
        let core = SecondCore::start();
        let (started, is_started) = mpsc::channel();
        let offered = core.offer(move || {
            started.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            thread::current().name().map(str::to_string)
        });
        is_started.recv().unwrap();
        assert_eq!(offered.take().as_deref(), Some("hagen-second-core"));
    }

    #[test]
    fn take_if_started_withdraws_a_job_not_started_and_waits_for_one_under_way() {
        let ran = Arc::new(AtomicBool::new(false));
        let offered = {
            let ran = Arc::clone(&ran);
            SecondCore::none().offer(move || ran.store(true, Ordering::SeqCst))
        };
        assert_eq!(offered.take_if_started(), None);
        assert!(!ran.load(Ordering::SeqCst), "withdrawn, not run");

        let core = SecondCore::start();
        let (started, is_started) = mpsc::channel();
        let offered = core.offer(move || {
            started.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            7
        });
        is_started.recv().unwrap();
        assert_eq!(offered.take_if_started(), Some(7));
    }

    #[test]
    fn a_panic_in_a_job_resumes_where_its_result_is_taken() {
        for core in [SecondCore::start(), SecondCore::none()] {
            let offered = core.offer(|| -> u8 { panic!("a bug in a template function") });
            let caught = catch_unwind(AssertUnwindSafe(|| offered.take()));
            assert_eq!(
                caught.unwrap_err().downcast_ref::<&str>(),
                Some(&"a bug in a template function")
            );
            // The helper survives the panic and takes the next job.
            assert_eq!(core.offer(|| 7).take(), 7);
        }
    }
}
