// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import limu.devices.Ps2Key;

/**
 * Keys typed on the host (a display window's thread) on their way to the guest's keyboard,
 * which the run loop hands over between slices. With input attached, a machine whose CPUs all
 * wait in HLT for an interrupt waits for the next key instead of ending: the keyboard can still
 * wake it. Serial input that arrives ({@link #wake()}) ends such a wait too. Thread-safe.
 */
final class HostInput {
    /** A key went down ({@code down}) or up. */
    record KeyChange(Ps2Key key, boolean down) {
    }

    private final ArrayDeque<KeyChange> keys = new ArrayDeque<>();
    private boolean attached;
    private boolean stopRequested;
    /** Something other than a key arrived (serial input) since the last {@link #await}. */
    private boolean woken;

    synchronized void attach(boolean on) {
        attached = on;
    }

    synchronized boolean attached() {
        return attached;
    }

    synchronized void add(KeyChange change) {
        keys.add(change);
        notifyAll();
    }

    /** The key changes since the last call, oldest first (the run loop asks between every two slices). */
    synchronized List<KeyChange> take() {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<KeyChange> taken = new ArrayList<>(keys);
        keys.clear();
        return taken;
    }

    /** Ends an {@link #await} in progress or the next one (a stop request from outside). */
    synchronized void requestStop() {
        stopRequested = true;
        notifyAll();
    }

    /** True once (and clears it) when a stop was requested. */
    synchronized boolean takeStopRequest() {
        boolean s = stopRequested;
        stopRequested = false;
        return s;
    }

    /** Ends an {@link #await} in progress or the next one: host input other than keys arrived. */
    synchronized void wake() {
        woken = true;
        notifyAll();
    }

    /** Waits until a key arrives, a stop is requested, {@link #wake()} is called or {@code millis} pass. */
    synchronized void await(long millis) throws InterruptedException {
        if (keys.isEmpty() && !stopRequested && !woken && millis > 0) {
            wait(millis);
        }
        woken = false;
    }
}
