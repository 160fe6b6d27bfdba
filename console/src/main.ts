import { type TemplateResult, html, render } from 'lit-html';
import type { Modification, Recovery, Snapshot, Volume, VolumeHealth, EventList, ReportList, Report, ComplianceReport } from './api-types';
import { ConsoleApi } from './console-api';
import { PAGES, PAGE_TITLES, type Page, defaultApiUrl, pageOf } from './console-location';
import type { ConsoleSettings } from './signed-request';
import {
  complianceStatus, complianceWindow, createVolumeRequest, eventRows, failure, isSettled, modificationRow, recoverySummary, reportFindings, snapshotRow, volumeRow,
} from './view-models';
import { complianceView } from './views/compliance-view';
import { eventsView } from './views/events-view';
import { modificationsView } from './views/modifications-view';
import { recoveryView } from './views/recovery-view';
import { reportsView } from './views/reports-view';
import { signInView } from './views/sign-in-view';
import { snapshotsView } from './views/snapshots-view';
import { volumesView } from './views/volumes-view';
import './console.css';

const SETTINGS_KEY = 'blockplane-console-settings';
const WATCH_INTERVAL_MS = 1_000;

interface State {
  settings?: ConsoleSettings;
  page: Page;
  message: string;
  volumes: Volume[];
  health: Record<string, VolumeHealth>;
  selectedVolumeId: string;
  modifications: Modification[];
  snapshots: Snapshot[];
  recovery?: Recovery;
  events?: EventList;
  reports: ReportList['reports'];
  selectedReportId: string;
  report?: Report;
  compliance?: ComplianceReport;
}

const state: State = { page: pageOf(location.hash), message: '', volumes: [], health: {}, selectedVolumeId: '', modifications: [], snapshots: [], reports: [], selectedReportId: '' };
const root = document.getElementById('app') as HTMLElement;
let watching: ReturnType<typeof setTimeout> | undefined;

function loadSettings(): ConsoleSettings | undefined {
  const saved = sessionStorage.getItem(SETTINGS_KEY);
  return saved ? (JSON.parse(saved) as ConsoleSettings) : undefined;
}

const api = () => new ConsoleApi(state.settings as ConsoleSettings, (url, init) => fetch(url, init));

function show(): void {
  if (!state.settings) {
    render(signInView({ apiUrl: defaultApiUrl(location.href), region: 'us-east-1' }, state.message, signIn), root);
    return;
  }
  const volumeIds = state.volumes.map((v) => v.volumeId);
  const pick = (id: string) => { state.selectedVolumeId = id; void load(); };
  const views: Record<Page, () => TemplateResult> = {
    volumes: () => volumesView({ rows: state.volumes.map((v) => volumeRow(v, state.health[v.volumeId])), message: state.message, onCreate: createVolume, onRefresh: () => void load() }),
    modifications: () => modificationsView(volumeIds, state.selectedVolumeId, state.modifications.map(modificationRow), state.message, pick),
    snapshots: () => snapshotsView(state.snapshots.map(snapshotRow), state.message),
    recovery: () => recoveryView(volumeIds, state.selectedVolumeId, state.recovery && recoverySummary(state.recovery), state.message, pick),
    events: () => eventsView(state.events && eventRows(state.events), state.message),
    reports: () => reportsView({ reports: state.reports, selected: state.selectedReportId, findings: state.report && reportFindings(state.report), message: state.message, onOpen: openReport }),
    compliance: () => complianceView({ status: state.compliance ? complianceStatus(state.compliance) : '', url: state.compliance?.url, message: state.message, onRequest: requestCompliance }),
  };
  render(
    html`<header><h1>Blockplane console</h1>
        <nav>${PAGES.map((p) => html`<a href=${`#${p}`} id=${`nav-${p}`} class=${p === state.page ? 'current' : ''}>${PAGE_TITLES[p]}</a>`)}</nav>
        <span class="who">${state.settings.credentials.accessKeyId}</span>
        <button type="button" id="sign-out" @click=${signOut}>Sign out</button></header>
      <section id=${`page-${state.page}`} class="page" data-loaded="false">${views[state.page]()}</section>`,
    root,
  );
}

function signIn(form: HTMLFormElement): void {
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  if (!field('accessKeyId') || !field('secretAccessKey')) {
    state.message = 'An access key id and its secret are required';
    show();
    return;
  }
  state.settings = {
    apiUrl: field('apiUrl').replace(/\/$/, ''),
    region: field('region') || 'us-east-1',
    credentials: { accessKeyId: field('accessKeyId'), secretAccessKey: field('secretAccessKey'), ...(field('sessionToken') ? { sessionToken: field('sessionToken') } : {}) },
  };
  sessionStorage.setItem(SETTINGS_KEY, JSON.stringify(state.settings));
  state.message = '';
  void load();
}

function signOut(): void {
  sessionStorage.removeItem(SETTINGS_KEY);
  state.settings = undefined;
  state.message = 'Signed out';
  show();
}

/** Loads what the current page shows, then marks the page loaded (the e2e test waits for it). */
async function load(): Promise<void> {
  if (!state.settings) return show();
  const page = state.page;
  state.message = '';
  try {
    await loadPage(page);
  } catch (error) {
    state.message = `The API could not be reached: ${String(error)}`;
  }
  if (page !== state.page) return;
  show();
  document.getElementById(`page-${page}`)?.setAttribute('data-loaded', 'true');
}

async function loadPage(page: Page): Promise<void> {
  const client = api();
  if (page === 'volumes' || page === 'modifications' || page === 'recovery') {
    const listed = await client.listVolumes();
    if (!listed.ok) return void (state.message = failure(listed.status, listed.message));
    state.volumes = listed.body.volumes;
    if (page === 'volumes') {
      const answers = await Promise.all(state.volumes.map((v) => client.volumeHealth(v.volumeId)));
      state.health = Object.fromEntries(answers.flatMap((a) => (a.ok ? [[a.body.volumeId, a.body]] : [])));
    }
  }
  if (page === 'modifications' && state.selectedVolumeId) {
    const answer = await client.listModifications(state.selectedVolumeId);
    state.modifications = answer.ok ? answer.body.modifications : [];
    if (!answer.ok) state.message = failure(answer.status, answer.message);
  }
  if (page === 'recovery' && state.selectedVolumeId) {
    const answer = await client.getRecovery(state.selectedVolumeId);
    state.recovery = answer.ok ? answer.body : undefined;
    if (!answer.ok) state.message = answer.status === 404 ? 'This volume has no recovery: none of its copies came back after a failure' : failure(answer.status, answer.message);
  }
  if (page === 'snapshots') {
    const answer = await client.listSnapshots();
    state.snapshots = answer.ok ? answer.body.snapshots : [];
    if (!answer.ok) state.message = failure(answer.status, answer.message);
  }
  if (page === 'events') {
    const answer = await client.listEvents();
    state.events = answer.ok ? answer.body : undefined;
    if (!answer.ok) state.message = failure(answer.status, answer.message);
  }
  if (page === 'reports') {
    const answer = await client.listReports();
    state.reports = answer.ok ? answer.body.reports : [];
    if (!answer.ok) state.message = failure(answer.status, answer.message);
  }
}

async function createVolume(form: HTMLFormElement): Promise<void> {
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  const parsed = createVolumeRequest({ sizeGiB: field('sizeGiB'), type: field('type'), iops: field('iops'), location: field('location') });
  if (!parsed.ok) {
    state.message = parsed.error;
    return show();
  }
  const answer = await api().createVolume(parsed.request);
  if (!answer.ok) {
    state.message = failure(answer.status, answer.message);
    return show();
  }
  state.message = `Creating ${answer.body.volumeId}`;
  state.volumes = [answer.body, ...state.volumes.filter((v) => v.volumeId !== answer.body.volumeId)];
  show();
  watch(answer.body.volumeId);
}

/** Polls one volume until it settles (available, error…), updating its row. */
function watch(volumeId: string): void {
  clearTimeout(watching);
  watching = setTimeout(async () => {
    const answer = await api().getVolume(volumeId);
    if (answer.ok) {
      state.volumes = state.volumes.map((v) => (v.volumeId === volumeId ? answer.body : v));
      if (isSettled(answer.body)) {
        state.message = `${volumeId} is ${answer.body.status}`;
        const health = await api().volumeHealth(volumeId);
        if (health.ok) state.health[volumeId] = health.body;
      } else watch(volumeId);
    } else state.message = failure(answer.status, answer.message);
    if (state.page === 'volumes') show();
  }, WATCH_INTERVAL_MS);
}

async function openReport(reportId: string): Promise<void> {
  state.selectedReportId = reportId;
  const answer = await api().getReport(reportId);
  state.report = answer.ok ? answer.body : undefined;
  state.message = answer.ok ? '' : failure(answer.status, answer.message);
  show();
}

async function requestCompliance(days: number, format: 'json' | 'csv' | 'html'): Promise<void> {
  if (!Number.isInteger(days) || days < 1 || days > 31) {
    state.message = 'The window is 1 to 31 days';
    return show();
  }
  const answer = await api().createComplianceReport({ scope: {}, ...complianceWindow(new Date(), days), format });
  if (!answer.ok) {
    state.message = failure(answer.status, answer.message);
    return show();
  }
  state.compliance = answer.body;
  state.message = '';
  show();
  const poll = async (): Promise<void> => {
    const current = await api().getComplianceReport(answer.body.reportId);
    if (current.ok) state.compliance = current.body;
    show();
    if (current.ok && current.body.status === 'rendering' && state.page === 'compliance') setTimeout(() => void poll(), WATCH_INTERVAL_MS);
  };
  await poll();
}

window.addEventListener('hashchange', () => {
  state.page = pageOf(location.hash);
  show();
  void load();
});

state.settings = loadSettings();
show();
void load();
