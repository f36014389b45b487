//! One fetch: what to request, in which order, and what becomes of each
//! answer.
//!
//! The account comes first (without it there is no snapshot). Then, side
//! by side, the service info, the viewer's own extension (to learn whether
//! they are an administrator), the account's phone numbers and the
//! extension list; as soon as the list is in, each extension's phone
//! numbers and forwarding numbers. Every request waits at its group's gate,
//! so the requests run as concurrently as the rate limits allow and never
//! beyond. A piece that fails for good is recorded in `errors` and the
//! rest carries on; rejected credentials stop everything (nothing else
//! could succeed), keeping what the journal holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};

use crate::api::{Api, Credentials, Endpoint, Failure, Tuning, valid_id};
use crate::data::{Data, ExtensionNumbers, Forwarding, forwarding};
use crate::journal::{self, Header, Journal, JournalError};
use crate::limits::GroupStats;
use crate::parts::{
    self, Fetched as Piece, List, Lists, Obtained, Parts, Place, Problem, Source, Viewer,
};
use crate::progress::Progress;
use crate::server::Server;

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The API server.
    pub server: Server,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Retries, limits and caps.
    pub tuning: Tuning,
    /// `source.generator`, e.g. `rcaudit 0.1.0`.
    pub generator: String,
    /// Where to keep the journal, and whether to continue it.
    pub journal: Option<JournalMode>,
    /// What to read (everything by default).
    pub data: Data,
}

impl Options {
    /// The API client these options describe (server, credentials,
    /// tuning), reporting to `progress`.
    pub(crate) fn api(&self, progress: Arc<dyn Progress>) -> Result<Api, FetchError> {
        Api::new(
            self.server.clone(),
            self.credentials.clone(),
            self.tuning.clone(),
            progress,
        )
        .map_err(FetchError::Setup)
    }
}

/// Whether a fetch starts a journal or continues one.
#[derive(Debug, Clone)]
pub enum JournalMode {
    /// Start a journal at this path (it must not exist).
    New(std::path::PathBuf),
    /// Continue the journal at this path.
    Resume(std::path::PathBuf),
}

/// Why a fetch stopped without a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The fetch could not start or finish as set up: the HTTP client, or
    /// a journal in the way (an interrupted fetch, another server's).
    #[error("{0}")]
    Setup(String),
    /// The journal could not be used.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The account record, without which there is no snapshot, could not
    /// be read.
    #[error("cannot read the account (GET /restapi/v1.0/account/~): {0}")]
    Account(Failure),
    /// The credentials were rejected.
    #[error("{0}")]
    Unauthorized(String),
    /// A bug: a task of the fetch failed outside any piece.
    #[error("{0}")]
    Internal(String),
}

/// Figures of a finished fetch.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Extensions in the snapshot.
    pub extensions: usize,
    /// The account's phone numbers in the snapshot, if fetched.
    pub phone_numbers: Option<usize>,
    /// The `errors` entries, as `pointer: message`.
    pub problems: Vec<String>,
    /// Pieces taken from the journal instead of fetched.
    pub resumed: usize,
    /// Requests per usage-plan group.
    pub groups: Vec<GroupStats>,
    /// Attempts made again after a transient failure.
    pub retries: u64,
    /// How long the fetch took.
    pub elapsed: Duration,
    /// How each list was obtained (`source.lists`).
    pub lists: Lists,
    /// Forwarding lists recorded empty without asking (types without call
    /// forwarding).
    pub empty_by_type: usize,
}

impl Summary {
    /// Requests sent, in all groups.
    pub fn requests(&self) -> u64 {
        self.groups.iter().map(|g| g.sent).sum()
    }

    /// Requests the server answered 429, in all groups.
    pub fn rejected(&self) -> u64 {
        self.groups.iter().map(|g| g.rejected).sum()
    }
}

/// A fetched snapshot. Write `text`, then call [`Fetched::finish`] to
/// remove the journal.
#[derive(Debug)]
pub struct Fetched {
    /// The snapshot (JSON, indented).
    pub text: String,
    /// Figures of the fetch.
    pub summary: Summary,
    journal: Option<Journal>,
}

impl Fetched {
    /// Removes the journal: call once the snapshot is safely written.
    pub fn finish(self) -> Result<(), JournalError> {
        match self.journal {
            Some(journal) => journal.remove(),
            None => Ok(()),
        }
    }
}

struct Ctx {
    api: Api,
    parts: Mutex<Parts>,
    journal: Option<Journal>,
    progress: Arc<dyn Progress>,
    /// What the first request for another extension's forwarding list
    /// said (held while it is under way). After a `CMN-419` the viewer may
    /// read no other extension's forwarding numbers, and
    /// the rest are recorded with that answer instead of being asked for
    /// (on a big account, thousands of requests and an hour of rate limit).
    forwarding_verdict: tokio::sync::Mutex<Verdict>,
    /// What to read.
    data: Data,
    /// A permit for each of the viewer and the account's phone-number list
    /// once it is settled (however it ended): whether each extension's
    /// phone-number list is asked for depends on both.
    basics: Arc<Semaphore>,
}

/// Adds a permit to [`Ctx::basics`] when dropped: when its task ends,
/// even by a panic.
struct Settled(Arc<Semaphore>);

impl Drop for Settled {
    fn drop(&mut self) {
        self.0.add_permits(1);
    }
}

/// Whether the viewer may read other extensions' forwarding lists.
#[derive(Clone)]
enum Verdict {
    /// No answer yet.
    Unknown,
    Readable,
    /// Refused with `CMN-419`: the answer for all of them.
    Denied(Failure),
}

/// What stops a fetch from inside a task.
enum Stop {
    Unauthorized(String),
    Journal(JournalError),
    /// A task of the fetch failed in a way no piece can account for.
    Internal(String),
}

/// The fetch's tasks, and the piece each one fetches: a task that panics
/// (a bug) becomes an `errors` entry for its piece, never a piece missing
/// without a word.
struct Tasks {
    set: JoinSet<Result<(), Stop>>,
    pieces: HashMap<tokio::task::Id, (Place, Endpoint)>,
}

impl Tasks {
    fn new() -> Tasks {
        Tasks {
            set: JoinSet::new(),
            pieces: HashMap::new(),
        }
    }

    fn spawn(
        &mut self,
        place: Place,
        endpoint: Endpoint,
        task: impl Future<Output = Result<(), Stop>> + Send + 'static,
    ) {
        let handle = self.set.spawn(task);
        self.pieces.insert(handle.id(), (place, endpoint));
    }

    /// What a finished task says: its stop, or its panic recorded.
    fn settle(
        &mut self,
        ctx: &Ctx,
        done: Result<(tokio::task::Id, Result<(), Stop>), JoinError>,
    ) -> Result<(), Stop> {
        match done {
            Ok((id, result)) => {
                self.pieces.remove(&id);
                result
            }
            Err(error) => {
                let Some((place, endpoint)) = self.pieces.remove(&error.id()) else {
                    // Not ours to place: say so for the whole fetch.
                    return Err(Stop::Internal(describe_join_error(error)));
                };
                let message = describe_join_error(error);
                ctx.parts().problems.push(Problem {
                    place,
                    request: endpoint.request(),
                    status: None,
                    code: None,
                    message,
                });
                Ok(())
            }
        }
    }

    /// Settles the tasks that are done, without waiting.
    fn settle_ready(&mut self, ctx: &Ctx) -> Result<(), Stop> {
        while let Some(done) = self.set.try_join_next_with_id() {
            self.settle(ctx, done)?;
        }
        Ok(())
    }

    /// Waits for every task.
    async fn settle_all(&mut self, ctx: &Ctx) -> Result<(), Stop> {
        while let Some(done) = self.set.join_next_with_id().await {
            self.settle(ctx, done)?;
        }
        Ok(())
    }
}

/// A task that panicked or was cancelled, as an `errors` message.
fn describe_join_error(error: JoinError) -> String {
    if error.is_panic() {
        let payload = error.into_panic();
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        format!(
            "internal error: fetching this piece panicked ({detail}); what it holds is unknown (please report this bug)"
        )
    } else {
        "internal error: fetching this piece was cancelled; what it holds is unknown".to_owned()
    }
}

impl Ctx {
    fn parts(&self) -> std::sync::MutexGuard<'_, Parts> {
        self.parts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the account's phone-number list stands in for each
    /// extension's: an administrator read it in full (`docs/api-facts.md`,
    /// "Fewer requests").
    fn account_list_covers(&self) -> bool {
        let parts = self.parts();
        let admin = parts.viewer.as_ref().and_then(|v| v.admin) == Some(true);
        let failed = parts
            .problems
            .iter()
            .any(|p| p.place == Place::Top("/phoneNumbers"));
        admin && parts.phone_numbers.is_some() && !failed
    }

    fn keep(&self, place: &Place, piece: Piece) -> Result<(), Stop> {
        if let Some(journal) = &self.journal {
            journal
                .put(&parts::key(place), &piece.text())
                .map_err(Stop::Journal)?;
        }
        self.parts().store(place, piece);
        Ok(())
    }

    fn fail(&self, place: Place, endpoint: &Endpoint, failure: &Failure) -> Result<(), Stop> {
        if let Failure::Unauthorized(message) = failure {
            return Err(Stop::Unauthorized(message.clone()));
        }
        self.parts().problems.push(Problem {
            place,
            request: endpoint.request(),
            status: failure.status(),
            code: failure.code().map(str::to_owned),
            message: failure.message().to_owned(),
        });
        Ok(())
    }

    /// Fetches one piece (a record or a whole list) unless it is here.
    async fn piece(&self, place: Place, endpoint: Endpoint, list: bool) -> Result<(), Stop> {
        if self.parts().has(&place) {
            return Ok(());
        }
        if !self.others_forwarding(&endpoint) {
            let got = self.request(&endpoint, list).await;
            return self.settle(place, &endpoint, got);
        }
        // Another extension's forwarding list: the first such request is
        // sent alone, and the others wait for its answer. A `CMN-419` says
        // the viewer may read none of them: the rest are recorded with that
        // answer and not sent.
        let mut verdict = self.forwarding_verdict.lock().await;
        let known = verdict.clone();
        if let Verdict::Unknown = known {
            let got = self.request(&endpoint, list).await;
            *verdict = match &got {
                Err(failure)
                    if failure.status() == Some(403) && failure.code() == Some("CMN-419") =>
                {
                    Verdict::Denied(failure.clone())
                }
                _ => Verdict::Readable,
            };
            drop(verdict);
            return self.settle(place, &endpoint, got);
        }
        drop(verdict);
        if let Verdict::Denied(failure) = known {
            self.progress.finished(1);
            return self.fail(place, &endpoint, &failure);
        }
        let got = self.request(&endpoint, list).await;
        self.settle(place, &endpoint, got)
    }

    /// Sends the request of a piece (through the gate, with retries).
    async fn request(&self, endpoint: &Endpoint, list: bool) -> Result<Piece, Failure> {
        let got = if list {
            self.api.list(endpoint).await.map(Piece::List)
        } else {
            self.api.record(endpoint).await.map(Piece::Record)
        };
        self.progress.finished(1);
        got
    }

    /// Keeps a piece, or records why it is missing.
    fn settle(
        &self,
        place: Place,
        endpoint: &Endpoint,
        got: Result<Piece, Failure>,
    ) -> Result<(), Stop> {
        match got {
            Ok(piece) => self.keep(&place, piece),
            Err(failure) if no_forwarding(endpoint, &failure) => {
                self.keep(&place, Piece::List(Vec::new()))
            }
            Err(failure) => self.fail(place, endpoint, &failure),
        }
    }

    /// Whether `endpoint` is the forwarding list of an extension other than
    /// the viewer's own (which the viewer may always read).
    fn others_forwarding(&self, endpoint: &Endpoint) -> bool {
        let Endpoint::ForwardingNumbers(id) = endpoint else {
            return false;
        };
        let parts = self.parts();
        let own = parts.viewer.as_ref().and_then(|v| v.extension_id.as_ref());
        own != Some(id)
    }

    /// The viewer's own extension: its id and whether it is an admin.
    async fn viewer(&self) -> Result<(), Stop> {
        let place = Place::Top("/source/viewer");
        if self.parts().has(&place) {
            return Ok(());
        }
        let endpoint = Endpoint::Extension("~".to_owned());
        let got = self.api.record(&endpoint).await;
        self.progress.finished(1);
        match got {
            Ok(record) => {
                let viewer = viewer_of(&record);
                if let Some(journal) = &self.journal {
                    let text = serde_json::to_string(&viewer).unwrap_or_default();
                    journal.put("viewer", &text).map_err(Stop::Journal)?;
                }
                self.parts().viewer = Some(viewer);
                Ok(())
            }
            Err(failure) => self.fail(place, &endpoint, &failure),
        }
    }
}

/// Whether the answer says the extension's type has no call forwarding
/// (`403 CMN-403`, "The feature is not available for this extension type",
/// as for departments, IVR menus and parked locations). That is an answer,
/// not a gap: the extension has no forwarding numbers, so the list is
/// recorded empty rather than as unknown in `errors`.
fn no_forwarding(endpoint: &Endpoint, failure: &Failure) -> bool {
    matches!(endpoint, Endpoint::ForwardingNumbers(_))
        && failure.status() == Some(403)
        && failure.code() == Some("CMN-403")
}

pub(crate) fn viewer_of(record: &RawValue) -> Viewer {
    #[derive(Deserialize)]
    struct Enabled {
        enabled: Option<bool>,
    }
    #[derive(Deserialize)]
    struct Permissions {
        admin: Option<Enabled>,
    }
    #[derive(Deserialize)]
    struct Own {
        permissions: Option<Permissions>,
    }
    // Without `permissions.admin.enabled` whether the viewer is an
    // administrator is unknown, and rules that need to know say so.
    let admin = serde_json::from_str::<Own>(record.get())
        .ok()
        .and_then(|own| own.permissions?.admin?.enabled);
    Viewer {
        extension_id: parts::id_of(record),
        admin,
    }
}

fn stop(stop: Stop) -> FetchError {
    match stop {
        Stop::Unauthorized(message) => FetchError::Unauthorized(message),
        Stop::Journal(error) => FetchError::Journal(error),
        Stop::Internal(message) => FetchError::Internal(message),
    }
}

/// The journal, and the capture time and pieces it already holds.
fn open_journal(
    options: &Options,
    now: &str,
) -> Result<(Option<Journal>, String, Parts), FetchError> {
    let server = options.server.to_string();
    match &options.journal {
        None => Ok((None, now.to_owned(), Parts::default())),
        Some(JournalMode::New(path)) => {
            if journal::busy(path) {
                return Err(FetchError::Journal(JournalError::Busy {
                    path: path.display().to_string(),
                }));
            }
            if path.exists() {
                return Err(FetchError::Setup(format!(
                    "{} holds an interrupted fetch: continue it with --resume, or remove it",
                    path.display()
                )));
            }
            let journal = Journal::create(path, &Header::new(&server, now))?;
            Ok((Some(journal), now.to_owned(), Parts::default()))
        }
        Some(JournalMode::Resume(path)) if !path.exists() => {
            let journal = Journal::create(path, &Header::new(&server, now))?;
            Ok((Some(journal), now.to_owned(), Parts::default()))
        }
        Some(JournalMode::Resume(path)) => {
            let journal::Resumed {
                journal,
                header,
                entries,
            } = Journal::resume(path)?;
            if header.server != server {
                return Err(FetchError::Setup(format!(
                    "{} is a fetch from {}, not {server}: resume it with --server {}, or remove it",
                    path.display(),
                    header.server,
                    header.server
                )));
            }
            let mut parts = Parts::default();
            for (key, value) in &entries {
                parts.restore(key, value).map_err(|message| {
                    FetchError::Setup(format!("{}: {message}", path.display()))
                })?;
            }
            Ok((Some(journal), header.captured_at, parts))
        }
    }
}

/// The journal path of an output file.
pub fn journal_path(output: &std::path::Path) -> std::path::PathBuf {
    journal::path_for(output)
}

/// The account record: required, so any failure ends the fetch.
async fn account(ctx: &Ctx) -> Result<(), FetchError> {
    let place = Place::Top("/account");
    if ctx.parts().has(&place) {
        ctx.progress.finished(1);
        return Ok(());
    }
    let got = ctx.api.record(&Endpoint::Account).await;
    ctx.progress.finished(1);
    match got {
        Ok(record) => ctx.keep(&place, Piece::Record(record)).map_err(stop),
        Err(Failure::Unauthorized(message)) => Err(FetchError::Unauthorized(message)),
        Err(failure) => Err(FetchError::Account(failure)),
    }
}

/// The extensions' ids (or why a record cannot be asked about) and types.
fn extension_ids(ctx: &Ctx) -> Vec<(usize, Result<String, String>, Option<String>)> {
    ctx.parts()
        .extensions
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, record)| {
            let id = match parts::id_of(record) {
                None => Err("the extension record has no id, so its phone and forwarding numbers cannot be fetched".to_owned()),
                // Never a path: `../../admin` would take the request (and
                // the token) out of the account.
                Some(id) if !valid_id(&id) || id == "~" => Err(format!(
                    "the extension's id {} is not a RingCentral id (letters, digits, - and _), so its phone and forwarding numbers were not requested",
                    serde_json::to_string(&id).unwrap_or_default()
                )),
                Some(id) => Ok(id),
            };
            (i, id, parts::type_of(record))
        })
        .collect()
}

/// Spawns a task per extension list still missing, at most a few hundred
/// alive at once, stopping early if one of them stops the fetch. The
/// forwarding lists go first (only those of types that can have
/// forwarding numbers, or of unknown types); the phone-number lists once
/// the viewer and the account's list have said whether they are needed.
async fn extension_lists(ctx: &Arc<Ctx>, tasks: &mut Tasks) -> Result<Lists, FetchError> {
    let extensions = extension_ids(ctx);
    let alive = Arc::new(Semaphore::new(256));
    for (index, id, _) in &extensions {
        if let Err(message) = id {
            ctx.parts().problems.push(Problem {
                place: Place::Index(*index),
                request: Endpoint::Extensions.request(),
                status: None,
                code: None,
                message: message.clone(),
            });
        }
    }
    let forwarding_lists = extensions.iter().filter_map(|(_, id, kind)| {
        let id = id.as_ref().ok()?;
        (ctx.data.forwarding_numbers && forwarding(kind.as_deref()) != Forwarding::None)
            .then(|| (id.clone(), List::ForwardingNumbers))
    });
    let forwarding: Vec<(String, List)> = forwarding_lists.collect();
    spawn_lists(ctx, tasks, &alive, forwarding).await?;
    // Whether the account list stands in for each extension's: wait for
    // the viewer and the account list to be settled.
    let phone_numbers = match ctx.data.extension_phone_numbers {
        ExtensionNumbers::No => Obtained::NotRequested,
        ExtensionNumbers::Yes => Obtained::Requested,
        ExtensionNumbers::UnlessCovered => {
            if let Ok(permits) = ctx.basics.acquire_many(2).await {
                permits.forget();
            }
            if ctx.account_list_covers() {
                Obtained::AccountList
            } else {
                Obtained::Requested
            }
        }
    };
    if phone_numbers == Obtained::Requested {
        let lists = extensions
            .iter()
            .filter_map(|(_, id, _)| Some((id.as_ref().ok()?.clone(), List::PhoneNumbers)))
            .collect();
        spawn_lists(ctx, tasks, &alive, lists).await?;
    }
    Ok(Lists {
        service_info: requested(ctx.data.service_info),
        phone_numbers: requested(ctx.data.phone_numbers),
        extensions: requested(true),
        extension_phone_numbers: phone_numbers,
        forwarding_numbers: requested(ctx.data.forwarding_numbers),
        permissions: ctx.data.permissions,
    })
}

fn requested(wanted: bool) -> Obtained {
    if wanted {
        Obtained::Requested
    } else {
        Obtained::NotRequested
    }
}

/// Spawns a task for each of `lists` not already here.
async fn spawn_lists(
    ctx: &Arc<Ctx>,
    tasks: &mut Tasks,
    alive: &Arc<Semaphore>,
    lists: Vec<(String, List)>,
) -> Result<(), FetchError> {
    ctx.progress.planned(lists.len() as u64);
    for (id, list) in lists {
        let place = Place::Extension(id.clone(), list);
        if ctx.parts().has(&place) {
            ctx.progress.finished(1);
            continue;
        }
        let endpoint = match list {
            List::PhoneNumbers => Endpoint::ExtensionPhoneNumbers(id),
            List::ForwardingNumbers => Endpoint::ForwardingNumbers(id),
        };
        let Ok(slot) = Arc::clone(alive).acquire_owned().await else {
            break;
        };
        let task_ctx = Arc::clone(ctx);
        let (task_place, task_endpoint) = (place.clone(), endpoint.clone());
        tasks.spawn(place, endpoint, async move {
            let result = task_ctx.piece(task_place, task_endpoint, true).await;
            drop(slot);
            result
        });
        if let Err(reason) = tasks.settle_ready(ctx) {
            tasks.set.abort_all();
            return Err(stop(reason));
        }
    }
    Ok(())
}

/// Spawns the account-wide pieces besides the extension list: the
/// service info, the account's phone numbers and the viewer (each of the
/// last two settles a permit of [`Ctx::basics`]).
fn account_pieces(ctx: &Arc<Ctx>, tasks: &mut Tasks) {
    if ctx.data.service_info {
        let task_ctx = Arc::clone(ctx);
        let (place, endpoint) = (Place::Top("/serviceInfo"), Endpoint::ServiceInfo);
        tasks.spawn(place.clone(), endpoint.clone(), async move {
            task_ctx.piece(place, endpoint, false).await
        });
    }
    let settled = Settled(Arc::clone(&ctx.basics));
    if ctx.data.phone_numbers {
        let task_ctx = Arc::clone(ctx);
        let (place, endpoint) = (Place::Top("/phoneNumbers"), Endpoint::AccountPhoneNumbers);
        tasks.spawn(place.clone(), endpoint.clone(), async move {
            let _settled = settled;
            task_ctx.piece(place, endpoint, true).await
        });
    } else {
        drop(settled);
    }
    let settled = Settled(Arc::clone(&ctx.basics));
    let task_ctx = Arc::clone(ctx);
    tasks.spawn(
        Place::Top("/source/viewer"),
        Endpoint::Extension("~".to_owned()),
        async move {
            let _settled = settled;
            task_ctx.viewer().await
        },
    );
}

/// Spawns the viewer's permissions (`authz-profile`, Medium): after the
/// extension list, the one Medium request everything else waits for.
fn permissions_piece(ctx: &Arc<Ctx>, tasks: &mut Tasks) {
    if ctx.data.permissions {
        let task_ctx = Arc::clone(ctx);
        let (place, endpoint) = (
            Place::Top("/source/viewer/permissions"),
            Endpoint::AuthzProfile,
        );
        tasks.spawn(place.clone(), endpoint.clone(), async move {
            task_ctx.piece(place, endpoint, false).await
        });
    }
}

/// Forwarding lists recorded empty without asking, by type.
fn empty_by_type(parts: &Parts, lists: Lists) -> usize {
    if lists.forwarding_numbers != Obtained::Requested {
        return 0;
    }
    parts
        .extensions
        .iter()
        .flatten()
        .filter(|r| parts::id_of(r).is_some())
        .filter(|r| forwarding(parts::type_of(r).as_deref()) == Forwarding::None)
        .count()
}

/// The pieces a journal gave back.
fn resumed(parts: &Parts) -> usize {
    parts.lists.len()
        + [
            parts.account.is_some(),
            parts.service_info.is_some(),
            parts.viewer.is_some(),
            parts.phone_numbers.is_some(),
            parts.extensions.is_some(),
            parts.permissions.is_some(),
        ]
        .iter()
        .filter(|&&b| b)
        .count()
}

/// The journal as the options say, waiting a moment for one that a fetch
/// just cancelled in this process lets go of.
async fn journal_of(
    options: &Options,
    now: &str,
) -> Result<(Option<Journal>, String, Parts), FetchError> {
    let mut attempts = 0;
    loop {
        match open_journal(options, now) {
            Err(FetchError::Journal(JournalError::Busy { .. })) if attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            opened => return opened,
        }
    }
}

/// Fetches a snapshot. Must run inside a multi-threaded Tokio runtime.
pub async fn fetch(options: Options, progress: Arc<dyn Progress>) -> Result<Fetched, FetchError> {
    let started = Instant::now();
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    // A fetch of the same file that was just cancelled in this process
    // lets go of the journal's lock as its tasks wind down: give it a
    // moment before saying another fetch is running.
    let (journal, captured_at, parts) = journal_of(&options, &now).await?;
    let resumed = resumed(&parts);
    let api = options.api(Arc::clone(&progress))?;
    let ctx = Arc::new(Ctx {
        api,
        parts: Mutex::new(parts),
        journal,
        progress: Arc::clone(&progress),
        forwarding_verdict: tokio::sync::Mutex::new(Verdict::Unknown),
        data: options.data,
        basics: Arc::new(Semaphore::new(0)),
    });

    let data = options.data;
    let top = [
        data.service_info,
        data.phone_numbers,
        data.extensions,
        data.permissions,
    ];
    progress.planned(2 + top.iter().filter(|&&wanted| wanted).count() as u64);
    if let Err(error) = account(&ctx).await {
        // Nothing fetched: a journal holding only its header helps nobody.
        if let (0, Some(journal)) = (resumed, &ctx.journal) {
            let _ = std::fs::remove_file(journal.path());
        }
        return Err(error);
    }
    let mut tasks = Tasks::new();
    account_pieces(&ctx, &mut tasks);
    let lists = if ctx.data.extensions {
        ctx.piece(Place::Top("/extensions"), Endpoint::Extensions, true)
            .await
            .map_err(stop)?;
        permissions_piece(&ctx, &mut tasks);
        extension_lists(&ctx, &mut tasks).await?
    } else {
        permissions_piece(&ctx, &mut tasks);
        Lists {
            service_info: requested(ctx.data.service_info),
            phone_numbers: requested(ctx.data.phone_numbers),
            extensions: Obtained::NotRequested,
            extension_phone_numbers: Obtained::NotRequested,
            forwarding_numbers: Obtained::NotRequested,
            permissions: ctx.data.permissions,
        }
    };
    if let Err(reason) = tasks.settle_all(&ctx).await {
        tasks.set.abort_all();
        return Err(stop(reason));
    }

    let Ok(ctx) = Arc::try_unwrap(ctx) else {
        return Err(FetchError::Setup(
            "a fetch task outlived the fetch".to_owned(),
        ));
    };
    let source = Source {
        server: options.server.to_string(),
        generator: options.generator.clone(),
        scope: ctx.api.scope().await,
        lists: Some(lists),
    };
    let parts = ctx
        .parts
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let text = parts.assemble(&captured_at, &source);
    let summary = Summary {
        extensions: parts.extensions.as_ref().map_or(0, Vec::len),
        phone_numbers: parts.phone_numbers.as_ref().map(Vec::len),
        problems: parts
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.request, p.message))
            .collect(),
        resumed,
        groups: ctx.api.limits.stats(),
        retries: ctx.api.retries(),
        elapsed: started.elapsed(),
        lists,
        empty_by_type: empty_by_type(&parts, lists),
    };
    Ok(Fetched {
        text,
        summary,
        journal: ctx.journal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewer_is_an_admin_only_when_its_record_says_so() {
        let cases = [
            (
                r#"{"id":1,"permissions":{"admin":{"enabled":true}}}"#,
                Some(true),
            ),
            (
                r#"{"id":"1","permissions":{"admin":{"enabled":false}}}"#,
                Some(false),
            ),
            // Not said: unknown, not "not an administrator".
            (
                r#"{"id":1,"permissions":{"internationalCalling":{"enabled":true}}}"#,
                None,
            ),
            (r#"{"id":1}"#, None),
            (r#"{"id":1,"permissions":{"admin":{}}}"#, None),
        ];
        for (text, admin) in cases {
            let record = RawValue::from_string(text.to_owned()).expect("JSON");
            let viewer = viewer_of(&record);
            assert_eq!(viewer.admin, admin, "{text}");
            assert_eq!(viewer.extension_id.as_deref(), Some("1"), "{text}");
        }
    }
}
