//! A pipeline's state as the skill reads it, what it says about it, and which approvals wait.

use ferrops_alexa::Ssml;
use ferrops_alexa::i18n::Strings;

/// One action and its latest execution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionView {
    /// The action's name in the pipeline.
    pub name: String,
    /// `InProgress`, `Succeeded`, `Failed`, `Abandoned`; `None` when it never ran.
    pub status: Option<String>,
    /// The error message of a failed run, as CodePipeline reports it.
    pub error: Option<String>,
    /// The approval token: present while a manual approval waits, and kept after it is decided.
    pub token: Option<String>,
}

/// One stage and its actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageView {
    /// The stage's name in the pipeline.
    pub name: String,
    /// The latest execution's status; `None` when it never ran.
    pub status: Option<String>,
    /// Its actions, in pipeline order.
    pub actions: Vec<ActionView>,
}

/// A pipeline's state, from `GetPipelineState`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineView {
    /// The pipeline's name, as CodePipeline spells it.
    pub name: String,
    /// Its stages, in order.
    pub stages: Vec<StageView>,
}

/// A manual approval that waits: everything `PutApprovalResult` needs to decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingApproval {
    /// The pipeline's name.
    pub pipeline: String,
    /// The stage the approval is in.
    pub stage: String,
    /// The approval action's name.
    pub action: String,
    /// The token of this wait; a new run of the stage gets a new one.
    pub token: String,
}

/// Every waiting manual approval, in stage order.
pub(crate) fn pending_approvals(view: &PipelineView) -> Vec<PendingApproval> {
    view.stages
        .iter()
        .flat_map(|s| {
            s.actions.iter().filter_map(move |a| {
                let waiting = a.status.as_deref() == Some("InProgress");
                a.token
                    .as_ref()
                    .filter(|_| waiting)
                    .map(|t| PendingApproval {
                        pipeline: view.name.clone(),
                        stage: s.name.clone(),
                        action: a.name.clone(),
                        token: t.clone(),
                    })
            })
        })
        .collect()
}

/// The spoken name of a status.
fn status_word(strings: &Strings<'_>, status: Option<&str>) -> String {
    let key = match status {
        None => "STATUS_NotRun",
        Some(
            s @ ("Succeeded" | "Failed" | "InProgress" | "Stopped" | "Stopping" | "Cancelled"
            | "Abandoned"),
        ) => {
            return strings.get(&format!("STATUS_{s}"));
        }
        Some(_) => "STATUS_Unknown",
    };
    strings.get(key)
}

/// Longest error message spoken; the console has the rest.
const ERROR_SPOKEN_MAX: usize = 300;

/// The status report: every stage and its status, then what failed and what waits.
pub(crate) fn status_speech(strings: &Strings<'_>, view: &PipelineView) -> Ssml {
    let mut s = Ssml::new()
        .text(&strings.format("STATUS_INTRO", &[("pipeline", &view.name)]))
        .text(" ");
    if view.stages.iter().all(|st| st.status.is_none()) {
        return Ssml::new().text(&strings.format("PIPELINE_EMPTY", &[("pipeline", &view.name)]));
    }
    for st in &view.stages {
        s = s
            .text(&strings.format(
                "STAGE_STATUS",
                &[
                    ("stage", &st.name),
                    ("status", &status_word(strings, st.status.as_deref())),
                ],
            ))
            .text(" ");
    }
    for st in &view.stages {
        for a in st
            .actions
            .iter()
            .filter(|a| a.status.as_deref() == Some("Failed"))
        {
            let message = ferrops::text::truncate_end(
                a.error.as_deref().unwrap_or("").trim(),
                ERROR_SPOKEN_MAX,
            );
            s = s
                .pause(300)
                .text(&strings.format(
                    "FAILING",
                    &[
                        ("stage", &st.name),
                        ("action", &a.name),
                        ("message", &message),
                    ],
                ))
                .text(" ");
        }
    }
    for p in pending_approvals(view) {
        s = s
            .pause(300)
            .text(&strings.format("WAITING", &[("stage", &p.stage), ("action", &p.action)]))
            .text(" ");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrops_alexa::i18n::Catalog;

    fn catalog() -> Catalog {
        Catalog::from_json(
            &[
                ("en-US", include_str!("../locales/en-US.json")),
                ("de-DE", include_str!("../locales/de-DE.json")),
            ],
            "en-US",
        )
        .unwrap()
    }

    pub(crate) fn sample() -> PipelineView {
        PipelineView {
            name: "my-app".into(),
            stages: vec![
                StageView {
                    name: "Source".into(),
                    status: Some("Succeeded".into()),
                    actions: vec![ActionView {
                        name: "Source".into(),
                        status: Some("Succeeded".into()),
                        ..Default::default()
                    }],
                },
                StageView {
                    name: "Commit".into(),
                    status: Some("Failed".into()),
                    actions: vec![ActionView {
                        name: "Build".into(),
                        status: Some("Failed".into()),
                        error: Some(
                            "Command 1 failed on i-0abc: Failed, exit code 2. <make> & stderr"
                                .into(),
                        ),
                        token: None,
                    }],
                },
                StageView {
                    name: "Approve".into(),
                    status: Some("InProgress".into()),
                    actions: vec![ActionView {
                        name: "ManualApproval".into(),
                        status: Some("InProgress".into()),
                        error: None,
                        token: Some("11111111-2222-3333-4444-555555555555".into()),
                    }],
                },
                StageView {
                    name: "Publish".into(),
                    status: None,
                    actions: vec![],
                },
            ],
        }
    }

    #[test]
    fn waiting_approvals_are_found_with_their_tokens() {
        let p = pending_approvals(&sample());
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].stage.as_str(), p[0].action.as_str()),
            ("Approve", "ManualApproval")
        );
        let mut done = sample();
        done.stages[2].actions[0].status = Some("Succeeded".into());
        assert!(
            pending_approvals(&done).is_empty(),
            "a decided approval keeps its token but no longer waits"
        );
    }

    #[test]
    fn status_names_every_stage_what_failed_and_what_waits() {
        let c = catalog();
        let s = status_speech(&c.strings(Some("en-US")), &sample()).render();
        for needle in [
            "Pipeline my-app.",
            "Source: succeeded.",
            "Commit: failed.",
            "Approve: in progress.",
            "Publish: not run.",
            "Commit failed at Build: Command 1 failed on i-0abc",
            "&lt;make&gt; &amp; stderr",
            "Approve is waiting for approval at ManualApproval.",
        ] {
            assert!(s.contains(needle), "{needle:?} missing from {s}");
        }
        let de = status_speech(&c.strings(Some("de-DE")), &sample()).render();
        assert!(
            de.contains("Commit: fehlgeschlagen.")
                && de.contains("wartet bei ManualApproval auf Freigabe"),
            "{de}"
        );
    }

    #[test]
    fn a_pipeline_that_never_ran_says_so() {
        let view = PipelineView {
            name: "new-app".into(),
            stages: vec![StageView {
                name: "Source".into(),
                status: None,
                actions: vec![],
            }],
        };
        let s = status_speech(&catalog().strings(None), &view).render();
        assert_eq!(s, "<speak>Pipeline new-app has not run yet.</speak>");
    }

    #[test]
    fn long_errors_are_cut() {
        let mut v = sample();
        v.stages[1].actions[0].error = Some("e".repeat(5000));
        let s = status_speech(&catalog().strings(None), &v).render();
        assert!(s.chars().count() < 1000);
    }
}
