//! Runs each input on one long-lived thread with a 256 KB stack, for the
//! targets whose code could recurse once per bracket of the input.
//!
//! libFuzzer tries inputs of a few KB; on the main thread's 8 MB, such a
//! recursion needs hundreds of KB to overflow, so it is never found (the
//! provider file locator's was found by review). On 256 KB it overflows
//! with a few thousand brackets. A panic or an overflow on that thread
//! aborts the process, which libFuzzer reports as a crash. One thread for
//! the whole run: a new thread per input made the targets 2 to 4 times
//! slower.

use std::sync::mpsc::{Sender, SyncSender, channel, sync_channel};
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;
/// Where jobs go, each with where to say it is done.
type Jobs = Sender<(Job, SyncSender<()>)>;

/// Runs `job` on the small-stack thread and waits for it.
pub fn run(job: impl FnOnce() + Send + 'static) {
    static WORKER: OnceLock<Mutex<Jobs>> = OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (jobs, queue) = channel::<(Job, SyncSender<()>)>();
        std::thread::Builder::new()
            .name("small-stack".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                for (job, done) in queue {
                    job();
                    let _ = done.send(());
                }
            })
            .expect("a thread");
        Mutex::new(jobs)
    });
    let (done, finished) = sync_channel(1);
    worker
        .lock()
        .expect("one input at a time")
        .send((Box::new(job), done))
        .expect("the thread is running");
    finished.recv().expect("the job ran");
}
