/**
 * Docker's default seccomp policy, as the runtime-spec's `linux.seccomp` object: deny (EPERM) by default,
 * allow the syscalls an ordinary process needs, and more as capabilities grant the matching power. The
 * data are written here as word lists (one string per group); the rules follow what Docker 20.10 gives
 * runc on an x86-64 host for each capability, checked side by side on the benchmark host.
 */
import type { Capability } from './capabilities.js';

/** Allowed whatever the capabilities (x86-64 names; names the kernel lacks are skipped by libseccomp). */
const ALWAYS = `
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown
fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer
getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32
getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter
io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64
madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2
mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep newfstatat _newselect open
openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 poll ppoll ppoll_time64 prctl pread64 preadv
preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink
readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat
renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto
setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority
setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list
setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown
sigaltstack signalfd signalfd4 sigprocmask sigreturn socket socketcall socketpair splice stat stat64 statfs
statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink
unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
ptrace
`;

/** Allowed on x86 only: the process's own segment and architecture state. */
const X86_ONLY = 'arch_prctl modify_ldt';

/** Allowed when the container holds the capability that gives the same power outside. */
const WITH_CAPABILITY: Partial<Record<Capability, string>> = {
  CAP_DAC_READ_SEARCH: 'open_by_handle_at',
  CAP_SYS_ADMIN: `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr
    move_mount name_to_handle_at open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns
    syslog umount umount2 unshare`,
  CAP_SYS_BOOT: 'reboot',
  CAP_SYS_CHROOT: 'chroot',
  CAP_SYS_MODULE: 'delete_module init_module finit_module',
  CAP_SYS_PACCT: 'acct',
  CAP_SYS_PTRACE: 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev',
  CAP_SYS_RAWIO: 'iopl ioperm',
  CAP_SYS_TIME: 'settimeofday stime clock_settime',
  CAP_SYS_TTY_CONFIG: 'vhangup',
  CAP_SYS_NICE: 'get_mempolicy mbind set_mempolicy',
  CAP_SYSLOG: 'syslog',
};

/** personality(2) personas a process may switch to: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff. */
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/**
 * clone(2) flags that make new namespaces (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP):
 * without CAP_SYS_ADMIN clone is allowed only when none of them is set.
 */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

const ENOSYS = 38;

export interface SeccompArg { index: number; value: number; valueTwo?: number; op: string }
export interface SeccompRule { names: string[]; action: string; args?: SeccompArg[]; errnoRet?: number }
export interface SeccompPolicy { defaultAction: string; architectures: string[]; syscalls: SeccompRule[] }

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** libseccomp's names of the architectures a process on this machine can run code for. */
function architecturesOf(arch: string): string[] {
  switch (arch) {
    case 'x64': return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
    case 'arm64': return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
    default: throw new Error(`seccomp: no default policy for architecture ${arch}`);
  }
}

/** Docker's default policy for a container holding `caps`, on a host of architecture `arch` (process.arch). */
export function defaultSeccomp(caps: readonly Capability[], arch: string): SeccompPolicy {
  const allow = (names: string[], args?: SeccompArg[]): SeccompRule => ({ names, action: 'SCMP_ACT_ALLOW', ...(args ? { args } : {}) });
  const granted = new Set<string>(words(ALWAYS));
  if (arch === 'x64') for (const n of words(X86_ONLY)) granted.add(n);
  for (const cap of caps) for (const n of words(WITH_CAPABILITY[cap] ?? '')) granted.add(n);
  const rules: SeccompRule[] = [allow([...granted])];
  for (const persona of PERSONAS) rules.push(allow(['personality'], [{ index: 0, value: persona, op: 'SCMP_CMP_EQ' }]));
  if (!caps.includes('CAP_SYS_ADMIN')) {
    rules.push(allow(['clone'], [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }]));
    // clone3 passes its flags in memory a filter cannot read: make it look absent, so libc falls back to clone.
    rules.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', architectures: architecturesOf(arch), syscalls: rules };
}
