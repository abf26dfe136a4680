//! Which words of a file tool name what it writes: the tables the self-protection
//! checks read (option grammars included, so an option's value is not taken for a file
//! and a file is not taken for an option's value), and the patterns that tell inline
//! interpreter code that writes from code that only reads.

use std::sync::OnceLock;

use regex::Regex;

use super::operands;
use crate::normalize::Grammar;
use crate::parse::Word;

/// Subcommands (and forms of them) that only read the repository.
pub(super) fn git_reads_only(sub: &str, args: &[Word]) -> bool {
    const READS: &[&str] = &[
        "status",
        "log",
        "show",
        "diff",
        "blame",
        "annotate",
        "grep",
        "ls-files",
        "ls-tree",
        "ls-remote",
        "rev-parse",
        "rev-list",
        "describe",
        "shortlog",
        "cat-file",
        "show-ref",
        "for-each-ref",
        "name-rev",
        "help",
        "version",
        "whatchanged",
        "count-objects",
        "var",
        "check-ignore",
        "check-attr",
        "check-ref-format",
        "cherry",
        "range-diff",
        "merge-base",
        "verify-commit",
        "verify-tag",
        "show-branch",
        "difftool",
    ];
    let ops = operands(args);
    let first = ops.first().map(|w| w.text.as_str());
    let any = |names: &[&str]| args.iter().any(|w| names.contains(&w.text.as_str()));
    match sub {
        _ if READS.contains(&sub) => true,
        "branch" | "tag" => {
            ops.is_empty()
                && !any(&[
                    "-d",
                    "-D",
                    "-m",
                    "-M",
                    "-c",
                    "-C",
                    "-f",
                    "-u",
                    "--delete",
                    "--move",
                    "--copy",
                    "--force",
                    "--set-upstream-to",
                    "--unset-upstream",
                    "--edit-description",
                ])
        }
        "config" => {
            any(&[
                "--get",
                "--get-all",
                "--get-regexp",
                "--get-urlmatch",
                "--list",
                "-l",
            ]) || matches!(first, Some("get" | "list"))
                || ops.len() == 1
        }
        "remote" => matches!(first, None | Some("show" | "get-url" | "-v")),
        "stash" => matches!(first, Some("list" | "show")),
        "worktree" | "notes" => matches!(first, Some("list" | "show")),
        "reflog" => matches!(first, None | Some("show")),
        "submodule" => matches!(first, None | Some("status" | "summary")),
        _ => false,
    }
}

pub(super) struct CodePatterns {
    /// A call that writes, deletes, renames or re-permissions a file.
    pub(super) call: Regex,
    /// awk's and perl's `print > "FILE"`, and flags that open files for writing.
    pub(super) redirect: Regex,
}

pub(super) fn code_patterns() -> &'static CodePatterns {
    static P: OnceLock<CodePatterns> = OnceLock::new();
    P.get_or_init(|| CodePatterns {
        call: Regex::new(
            r"(?x)
            \b(?: write\w* | append\w* | unlink\w* | remove\w* | rmtree | rmdir\w* | rm(?:Sync)?
                | rm_r f? | rm_f | rename\w* | replace | chmod\w* | chown\w* | lchown
                | truncate\w* | delete | copy\w* | move | mv | cp(?:Sync|_r)? | symlink\w*
                | link\w* | touch | put_contents | createWriteStream | mkdir\w* | makedirs
                | utime\w* | ln_sf? | install | Remove(?:All)? | WriteFile | Create | OpenFile
              )\s*[\(\s'\x22$]",
        )
        .expect("write-call pattern"),
        redirect: Regex::new(r#">>?\s*["']|\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b"#)
            .expect("write-redirect pattern"),
    })
}

/// An `open` mode that writes: `w`, `a`, `x`, `r+` and their variants, or perl's `>`.
pub(super) fn is_write_mode(lit: &str) -> bool {
    let l = lit.trim();
    if matches!(l, ">" | ">>" | "+<" | "+>" | "|-" | "-|") {
        return true;
    }
    // Perl's two-argument open: `open(F, ">/path")`.
    if l.starts_with('>') && l.len() > 1 {
        return true;
    }
    !l.is_empty()
        && l.len() <= 3
        && l.chars().all(|c| "rwaxbt+U".contains(c))
        && l.chars().any(|c| "wax+".contains(c))
}

/// Which words of a file tool name what it writes.
#[derive(Clone, Copy)]
pub(super) enum Written {
    All,
    Nth(usize),
    None,
}

/// A file tool whose writes a table can describe.
pub(super) struct Writer {
    pub(super) names: &'static [&'static str],
    pub(super) verb: &'static str,
    pub(super) opts: Grammar,
    pub(super) operands: Written,
    /// Options whose value is a file it writes.
    pub(super) writes: &'static [&'static str],
    /// What it writes when neither operands nor those options name anything
    /// (`script` writes `typescript`, `split` writes `xaa`...).
    pub(super) default: Option<&'static str>,
    /// It acts on whole trees.
    pub(super) tree: bool,
    /// Options that make it act on whole trees (`chmod -R`).
    pub(super) recursive: &'static [&'static str],
}

const fn writer(
    names: &'static [&'static str],
    verb: &'static str,
    short: &'static str,
    long: &'static [&'static str],
) -> Writer {
    Writer {
        names,
        verb,
        opts: Grammar::new(short, long),
        operands: Written::All,
        writes: &[],
        default: None,
        tree: false,
        recursive: &[],
    }
}

pub(super) const WRITERS: &[Writer] = &[
    Writer {
        tree: true,
        ..writer(
            &["rm", "rmdir", "unlink", "srm", "trash", "trash-put"],
            "deleting",
            "dfirRvIp",
            &[
                "force/f",
                "interactive?",
                "recursive/r",
                "dir/d",
                "verbose/v",
                "one-file-system",
                "preserve-root?",
                "no-preserve-root",
                "parents/p",
            ],
        )
    },
    Writer {
        tree: true,
        ..writer(
            &["shred"],
            "deleting",
            "fn:s:uvxz",
            &[
                "force/f",
                "iterations=/n",
                "size=/s",
                "random-source=",
                "remove?/u",
                "verbose/v",
                "exact/x",
                "zero/z",
            ],
        )
    },
    Writer {
        recursive: &["R"],
        ..writer(
            &["chmod"],
            "changing the permissions of",
            "cfvR",
            &[
                "changes/c",
                "silent/f",
                "quiet/f",
                "verbose/v",
                "reference=",
                "recursive/R",
                "preserve-root",
                "no-preserve-root",
            ],
        )
    },
    Writer {
        recursive: &["R"],
        ..writer(
            &["chown", "chgrp"],
            "changing the permissions of",
            "cfhvRHLP",
            &[
                "changes/c",
                "silent/f",
                "quiet/f",
                "verbose/v",
                "reference=",
                "from=",
                "recursive/R",
                "dereference",
                "no-dereference/h",
                "preserve-root",
                "no-preserve-root",
            ],
        )
    },
    Writer {
        recursive: &["R"],
        ..writer(&["chattr"], "changing the permissions of", "RVfv:p:", &[])
    },
    Writer {
        recursive: &["R"],
        ..writer(
            &["setfacl"],
            "changing the permissions of",
            "m:M:x:X:bkndRLPtv",
            &[
                "modify=/m",
                "modify-file=/M",
                "remove=/x",
                "remove-file=/X",
                "set=",
                "set-file=",
                "remove-all/b",
                "remove-default/k",
                "recursive/R",
                "restore=",
                "test",
                "physical/P",
                "logical/L",
                "mask",
                "no-mask/n",
                "default/d",
            ],
        )
    },
    writer(
        &["touch"],
        "writing to",
        "acd:fhmr:t:",
        &[
            "no-create/c",
            "date=/d",
            "no-dereference/h",
            "reference=/r",
            "time=",
        ],
    ),
    writer(
        &["truncate"],
        "writing to",
        "cor:s:",
        &["no-create/c", "io-blocks/o", "reference=/r", "size=/s"],
    ),
    writer(
        &["tee"],
        "writing to",
        "aip",
        &["append/a", "ignore-interrupts/i", "output-error?"],
    ),
    writer(&["sponge"], "writing to", "a", &[]),
    Writer {
        operands: Written::None,
        writes: &["o"],
        ..writer(
            &["sort"],
            "writing to",
            "bcCdfghiMmnRrsuVzk:o:S:t:T:",
            &[
                "output=/o",
                "key=/k",
                "buffer-size=/S",
                "field-separator=/t",
                "temporary-directory=/T",
                "parallel=",
                "batch-size=",
                "compress-program=",
                "files0-from=",
                "random-source=",
                "sort=",
            ],
        )
    },
    Writer {
        operands: Written::Nth(1),
        default: Some("x"),
        opts: crate::normalize::SPLIT,
        ..writer(&["split"], "writing to", "", &[])
    },
    Writer {
        operands: Written::Nth(0),
        writes: &["O", "B", "T", "I"],
        default: Some("typescript"),
        opts: crate::normalize::SCRIPT,
        ..writer(&["script"], "writing to", "", &[])
    },
];

pub(super) const MV: Grammar = Grammar::new(
    "bfinS:t:TuvZ",
    &[
        "backup?",
        "force/f",
        "interactive/i",
        "no-clobber/n",
        "suffix=/S",
        "target-directory=/t",
        "no-target-directory/T",
        "update?",
        "verbose/v",
        "strip-trailing-slashes",
        "exchange",
        "context/Z",
    ],
);
pub(super) const CP: Grammar = Grammar::new(
    "abdfHilLnPpRrsS:t:TuvxZ",
    &[
        "archive/a",
        "backup?",
        "force/f",
        "interactive/i",
        "link/l",
        "dereference/L",
        "no-clobber/n",
        "no-dereference/P",
        "preserve?",
        "no-preserve=",
        "parents",
        "recursive/R",
        "reflink?",
        "remove-destination",
        "sparse=",
        "strip-trailing-slashes",
        "symbolic-link/s",
        "suffix=/S",
        "target-directory=/t",
        "no-target-directory/T",
        "update?",
        "verbose/v",
        "one-file-system/x",
        "context?",
        "attributes-only",
        "copy-contents",
    ],
);
pub(super) const INSTALL: Grammar = Grammar::new(
    "bcCdDg:m:o:pS:st:TvZ",
    &[
        "backup?",
        "compare/C",
        "directory/d",
        "group=/g",
        "mode=/m",
        "owner=/o",
        "preserve-timestamps/p",
        "strip/s",
        "strip-program=",
        "suffix=/S",
        "target-directory=/t",
        "no-target-directory/T",
        "verbose/v",
        "context?",
        "preserve-context",
    ],
);
pub(super) const LN: Grammar = Grammar::new(
    "bdfFinLPrsS:t:Tv",
    &[
        "backup?",
        "directory/d",
        "force/f",
        "interactive/i",
        "logical/L",
        "no-dereference/n",
        "physical/P",
        "relative/r",
        "symbolic/s",
        "suffix=/S",
        "target-directory=/t",
        "no-target-directory/T",
        "verbose/v",
    ],
);
pub(super) const RSYNC: Grammar = Grammar::new(
    "vqcarRbuldLkKHpEAXogDtOJUNSnWxyCzhPiM:B:e:f:T:0",
    &[
        "rsh=/e",
        "filter=/f",
        "exclude=",
        "include=",
        "exclude-from=",
        "include-from=",
        "files-from=",
        "temp-dir=/T",
        "block-size=/B",
        "remote-option=/M",
        "rsync-path=",
        "backup-dir=",
        "suffix=",
        "compare-dest=",
        "copy-dest=",
        "link-dest=",
        "partial-dir=",
        "log-file=",
        "password-file=",
        "chmod=",
        "chown=",
        "usermap=",
        "groupmap=",
        "timeout=",
        "port=",
        "bwlimit=",
        "max-size=",
        "min-size=",
        "remove-source-files",
        "delete",
    ],
);
pub(super) const SCP: Grammar = Grammar::new("346ABCOpqRrTvc:D:F:i:J:l:o:P:S:X:", &[]);
pub(super) const AWK: Grammar = Grammar::new(
    "f:F:v:i:e:E:l:bcCdDghLMnNoOpPrsStVWY",
    &[
        "file=/f",
        "field-separator=/F",
        "assign=/v",
        "include=/i",
        "source=/e",
        "exec=/E",
        "load=/l",
    ],
);
pub(super) const CURL: Grammar = Grammar::new(
    "aA:b:Bc:C:d:D:e:E:fF:gGhH:iIjJkK:lLm:MnNo:OpP:qQ:r:RsStT:u:U:vVw:x:X:y:Y:z:Z0123456",
    &[
        "output=/o",
        "remote-name/O",
        "remote-name-all",
        "remote-header-name/J",
        "output-dir=",
        "dump-header=/D",
        "cookie-jar=/c",
        "cookie=/b",
        "trace=",
        "trace-ascii=",
        "stderr=",
        "libcurl=",
        "etag-save=",
        "etag-compare=",
        "hsts=",
        "alt-svc=",
        "create-dirs",
        "config=/K",
        "data=/d",
        "data-binary=",
        "data-raw=",
        "data-urlencode=",
        "form=/F",
        "header=/H",
        "user=/u",
        "request=/X",
        "url=",
        "user-agent=/A",
        "referer=/e",
        "cert=/E",
        "max-time=/m",
        "proxy=/x",
        "upload-file=/T",
        "write-out=/w",
        "range=/r",
        "connect-timeout=",
        "retry=",
        "silent/s",
        "show-error/S",
        "location/L",
        "fail/f",
        "insecure/k",
        "include/i",
        "head/I",
        "verbose/v",
        "compressed",
        "json=",
    ],
);
pub(super) const WGET: Grammar = Grammar::new(
    "VhbeSo:a:dqvnNF:B:i:O:t:cT:w:Q:4:6:rl:kKEpHD:A:R:I:X:P:U:xm",
    &[
        "output-document=/O",
        "directory-prefix=/P",
        "output-file=/o",
        "append-output=/a",
        "execute=/e",
        "input-file=/i",
        "base=/B",
        "tries=/t",
        "timeout=/T",
        "wait=/w",
        "quota=/Q",
        "level=/l",
        "domains=/D",
        "accept=/A",
        "reject=/R",
        "include-directories=/I",
        "exclude-directories=/X",
        "user-agent=/U",
        "header=",
        "user=",
        "password=",
        "post-data=",
        "post-file=",
        "load-cookies=",
        "save-cookies=",
        "quiet/q",
        "verbose/v",
        "continue/c",
        "recursive/r",
        "mirror/m",
        "no-clobber/n",
    ],
);
pub(super) const UNZIP: Grammar = Grammar::new("cflptTuvzZnoqaCjKLMNsVWXd:x:P:O:I:", &[]);
pub(super) const CPIO: Grammar = Grammar::new(
    "iopaABcdfmnrtuvVLSb0D:E:F:H:I:M:O:R:s:C:",
    &[
        "extract/i",
        "create/o",
        "pass-through/p",
        "directory=/D",
        "file=/F",
        "format=/H",
        "pattern-file=/E",
        "message=/M",
        "owner=/R",
        "io-size=/C",
        "block-size=",
        "to-stdout",
        "list/t",
        "make-directories/d",
        "quiet",
        "verbose/v",
    ],
);
pub(super) const ZIP: Grammar = Grammar::new(
    "0123456789AcdDeFfgjJklLmoqrSTuvwXyzb:n:P:t:O:s:Z:x:i:",
    &[
        "out=/O",
        "password=/P",
        "temp-path=/b",
        "suffixes=/n",
        "exclude=/x",
        "include=/i",
        "split-size=/s",
        "compression-method=/Z",
        "move/m",
        "delete/d",
        "recurse-paths/r",
        "quiet/q",
        "verbose/v",
    ],
);
pub(super) const PATCH: Grammar = Grammar::new(
    "bB:cd:D:eEfF:g:i:lnNo:p:r:RsStTuvV:Y:z:Z",
    &[
        "backup/b",
        "prefix=/B",
        "context/c",
        "directory=/d",
        "ifdef=/D",
        "ed/e",
        "remove-empty-files/E",
        "force/f",
        "fuzz=/F",
        "get=/g",
        "input=/i",
        "ignore-whitespace/l",
        "normal/n",
        "forward/N",
        "output=/o",
        "strip=/p",
        "reject-file=/r",
        "reverse/R",
        "quiet/s",
        "silent/s",
        "batch/t",
        "set-time/T",
        "unified/u",
        "version/v",
        "version-control=/V",
        "basename-prefix=/Y",
        "suffix=/z",
        "set-utc/Z",
        "dry-run",
        "merge?",
        "posix",
        "binary",
    ],
);
pub(super) const MOUNT: Grammar = Grammar::new(
    "aBcfFhilMnrRsvVwt:o:O:L:U:T:N:",
    &[
        "bind/B",
        "rbind/R",
        "move/M",
        "types=/t",
        "options=/o",
        "test-opts=/O",
        "label=/L",
        "uuid=/U",
        "fstab=/T",
        "namespace=/N",
        "source=",
        "target=",
        "read-only/r",
        "read-write/w",
        "all/a",
        "fake/f",
        "verbose/v",
    ],
);
pub(super) const GIT: Grammar = Grammar::new(
    "C:c:hpPv",
    &[
        "git-dir=",
        "work-tree=",
        "namespace=",
        "exec-path?",
        "config-env=",
        "super-prefix=",
        "list-cmds=",
        "bare",
        "paginate/p",
        "no-pager/P",
        "no-replace-objects",
        "no-lazy-fetch",
        "literal-pathspecs",
        "glob-pathspecs",
        "noglob-pathspecs",
        "icase-pathspecs",
        "no-optional-locks",
        "no-advice",
        "html-path",
        "man-path",
        "info-path",
        "version/v",
        "help/h",
    ],
);
pub(super) const GIT_CLONE: Grammar = Grammar::new(
    "b:c:j:lno:qsu:v",
    &[
        "branch=/b",
        "config=/c",
        "jobs=/j",
        "origin=/o",
        "upload-pack=/u",
        "depth=",
        "shallow-since=",
        "shallow-exclude=",
        "reference=",
        "reference-if-able=",
        "separate-git-dir=",
        "template=",
        "filter=",
        "server-option=",
        "bundle-uri=",
        "ref-format=",
        "revision=",
        "local/l",
        "no-checkout/n",
        "quiet/q",
        "shared/s",
        "verbose/v",
        "bare",
        "mirror",
        "recurse-submodules?",
        "single-branch",
        "no-tags",
    ],
);
