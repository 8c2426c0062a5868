// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** A Unicorn call failed, or Unicorn cannot be used; the message says which and why. */
public class UnicornException extends RuntimeException {
    public UnicornException(String message) {
        super(message);
    }

    static void check(int err, String what) {
        if (err != Uc.ERR_OK) {
            throw new UnicornException(what + ": " + Uc.uc_strerror(err) + " (uc_err " + err + ")");
        }
    }
}
