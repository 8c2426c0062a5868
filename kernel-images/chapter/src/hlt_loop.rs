// SPDX-License-Identifier: GPL-2.0-or-later
/// Halts forever. Interrupts are disabled at entry, so the first `hlt`
/// stops this CPU for good.
pub fn hlt_loop() -> ! {
    loop {
        x86_64::instructions::hlt();
    }
}
