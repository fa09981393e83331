//! A progress bar on standard error for long work (`spool retry`,
//! `send --to-list`): one line, `label [#####.....] 12/40`, redrawn in place
//! with `\r` and cleared when done. Shown only when standard error is a
//! terminal and the output is not JSON, so pipes, logs and scripts never
//! see it.

use std::io::{IsTerminal as _, Write as _};

/// The bar's width in characters, between the brackets.
const WIDTH: usize = 30;

/// `[#####.....] done/total`, `width` characters between the brackets.
pub(crate) fn bar(done: usize, total: usize, width: usize) -> String {
    let done = done.min(total);
    let filled = (done * width).checked_div(total).unwrap_or(width);
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

/// A progress bar; draws nothing unless shown (see [`Progress::new`]).
pub(crate) struct Progress {
    label: String,
    shown: bool,
    /// Characters of the line last drawn (0: nothing on screen).
    drawn: usize,
    last: Option<(usize, usize)>,
}

impl Progress {
    /// A bar shown when standard error is a terminal and `json` is false.
    pub(crate) fn new(label: &str, json: bool) -> Progress {
        Progress {
            label: label.to_string(),
            shown: !json && std::io::stderr().is_terminal(),
            drawn: 0,
            last: None,
        }
    }

    /// Redraws the bar at `done` of `total` (nothing for a single item).
    pub(crate) fn update(&mut self, done: usize, total: usize) {
        if !self.shown || total < 2 || self.last == Some((done, total)) {
            return;
        }
        self.last = Some((done, total));
        let line = format!("{} {}", self.label, bar(done, total, WIDTH));
        let mut err = std::io::stderr().lock();
        // Pad with spaces over a longer previous line.
        let pad = self.drawn.saturating_sub(line.chars().count());
        let _ = write!(err, "\r{line}{}", " ".repeat(pad));
        let _ = err.flush();
        self.drawn = line.chars().count();
    }

    /// Clears the bar's line, so what follows starts on a clean line.
    pub(crate) fn finish(&mut self) {
        if self.drawn > 0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(self.drawn));
            let _ = err.flush();
            self.drawn = 0;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_in_proportion() {
        assert_eq!(bar(0, 40, 10), "[..........] 0/40");
        assert_eq!(bar(12, 40, 10), "[###.......] 12/40");
        assert_eq!(bar(40, 40, 10), "[##########] 40/40");
        assert_eq!(bar(50, 40, 10), "[##########] 40/40", "never past the end");
        assert_eq!(bar(0, 0, 4), "[####] 0/0", "nothing to do is done");
    }

    #[test]
    fn json_output_never_shows_it() {
        let mut progress = Progress::new("x", true);
        progress.update(1, 10);
        assert_eq!(progress.drawn, 0);
    }
}
