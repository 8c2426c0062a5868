// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * Unicorn's C API through JNA direct mapping (about 0.1 us a call): set-up and
 * occasional calls only. Everything per guest instruction, port or block is
 * in the JNI shim ({@link Shim}). Handles are passed as {@code long}.
 */
final class Uc {
    static final int ARCH_X86 = 4;
    static final int MODE_64 = 8;
    static final int PROT_READ = 1;
    static final int PROT_ALL = 7;
    static final int ERR_OK = 0;

    private Uc() {
    }

    static void register(NativeLibrary library) {
        Native.register(Uc.class, library);
    }

    static native String uc_strerror(int code);

    static native int uc_open(int arch, int mode, long[] engineOut);

    static native int uc_close(long uc);

    static native int uc_mem_map_ptr(long uc, long address, long size, int perms, long hostPointer);

    static native int uc_reg_read(long uc, int regId, long[] value);

    static native int uc_reg_write(long uc, int regId, long[] value);

    static native int uc_vmem_read(long uc, long address, int prot, byte[] bytes, long size);

    static native int uc_mem_read(long uc, long address, byte[] bytes, long size);

    static native int uc_mem_write(long uc, long address, byte[] bytes, long size);

    static native int uc_vmem_translate(long uc, long address, int prot, long[] physicalOut);
}
