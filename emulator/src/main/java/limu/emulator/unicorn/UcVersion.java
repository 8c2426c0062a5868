// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * {@code uc_version} alone, registered before the rest of {@link Uc}: direct
 * mapping binds every method at once, so an old or foreign library must be
 * recognised by its version before anything it may lack is looked up.
 */
final class UcVersion {
    private UcVersion() {
    }

    static int of(NativeLibrary library) {
        Native.register(UcVersion.class, library);
        return uc_version(null, null);
    }

    static native int uc_version(int[] major, int[] minor);
}
