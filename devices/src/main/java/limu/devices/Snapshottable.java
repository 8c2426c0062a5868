// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * A device whose complete state can be captured as a value and put back, for
 * snapshots and reverse execution. The state is an immutable record that
 * names every field the guest can observe or that decides future behaviour.
 * <p>
 * Time-driven devices keep absolute virtual times in their state (for
 * example when a counter was last loaded), so a state restored together with
 * the machine's virtual clock resumes exactly; {@link #restore} re-arms their
 * timers and drives their interrupt lines to the levels the state implies.
 *
 * @param <S> the device's state record
 */
public interface Snapshottable<S extends Record> {
    S state();

    void restore(S state);
}
