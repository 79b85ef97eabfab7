import { useState } from 'react';
import type { FieldError } from '../../api/client';
import { DurationInput } from '../../components/conditions/leaves';
import { Button } from '../../components/ui';
import type { ScenarioSettings } from './api';
import type { Draft } from './ScenarioEditor';

const REENTRY: { value: ScenarioSettings['reentry']; label: string; hint: string }[] = [
  { value: 'new_instance', label: 'Create new instance', hint: 'Each entry runs on its own; right for order-driven scenarios.' },
  { value: 'ignore', label: 'Ignore', hint: 'A customer already inside is not entered again (abandoned carts).' },
  { value: 'restart', label: 'Move to start', hint: 'The running instance is replaced by a fresh one.' },
  { value: 'once', label: 'Only once ever', hint: 'A customer enters this scenario one time at most.' },
];

/** Duplicate handling, exit conditions, goal, limits, holdout and time zone: the gear panel. */
export function SettingsForm({ draft, faults, onSave }: { draft: Draft; faults: FieldError[]; onSave: (d: Partial<Draft>) => void }) {
  const s = draft.settings;
  const [description, setDescription] = useState(draft.description);
  const [reentry, setReentry] = useState(s.reentry);
  const [exitOn, setExitOn] = useState((s.exit_on ?? []).map((e) => e.event).join(', '));
  const [goalEvent, setGoalEvent] = useState(s.goal?.event ?? '');
  const [goalWithin, setGoalWithin] = useState(s.goal?.within);
  const [maxActive, setMaxActive] = useState(s.max_active_per_profile !== undefined ? String(s.max_active_per_profile) : '');
  const [holdout, setHoldout] = useState(s.holdout_percent !== undefined ? String(s.holdout_percent) : '');
  const [tz, setTz] = useState(s.timezone ?? '');
  const err = (k: string) =>
    faults
      .filter((f) => f.path.replace(/^body\./, '').startsWith(k))
      .map((f, i) => (
        <div className="field__error" key={i}>
          {f.message}
        </div>
      ));
  const presets = ['order_finalized', 'site_visit'];
  const exits = exitOn.split(',').map((x) => x.trim()).filter(Boolean);
  return (
    <form
      className="form"
      data-testid="scenario-settings"
      onSubmit={(e) => {
        e.preventDefault();
        const settings: ScenarioSettings = { reentry };
        if (exits.length) settings.exit_on = exits.map((event) => ({ event }));
        if (goalEvent) settings.goal = { event: goalEvent, ...(goalWithin ? { within: goalWithin } : {}) };
        if (maxActive) settings.max_active_per_profile = Number(maxActive);
        if (holdout) settings.holdout_percent = Number(holdout);
        if (tz) settings.timezone = tz;
        onSave({ description, settings });
      }}
    >
      <div className="field" data-field="description">
        <label className="field__label" htmlFor="sc-desc">
          Description
        </label>
        <input id="sc-desc" className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <fieldset className="field" data-field="settings.reentry">
        <legend className="field__label">Duplicate handling — a customer already in the scenario comes again</legend>
        {REENTRY.map((r) => (
          <label className="check" key={r.value}>
            <input type="radio" name="reentry" value={r.value} checked={reentry === r.value} onChange={() => setReentry(r.value)} />
            <span>
              <strong>{r.label}</strong> <span className="muted small">{r.hint}</span>
            </span>
          </label>
        ))}
        {err('settings.reentry')}
      </fieldset>
      <div className="field" data-field="settings.exit_on">
        <div className="field__label">Exit from the scenario when</div>
        {presets.map((p) => (
          <label className="check" key={p}>
            <input type="checkbox" checked={exits.includes(p)} onChange={(e) => setExitOn((e.target.checked ? [...exits, p] : exits.filter((x) => x !== p)).join(', '))} />{' '}
            {p === 'order_finalized' ? 'Finalized an order' : 'Entered the website'} <code className="small">{p}</code>
          </label>
        ))}
        <input className="input" aria-label="Exit events" value={exitOn} onChange={(e) => setExitOn(e.target.value)} placeholder="other events, comma-separated" />
        {err('settings.exit_on')}
      </div>
      <div className="form__pair">
        <div className="field" data-field="settings.goal">
          <label className="field__label" htmlFor="sc-goal">
            Goal event
          </label>
          <input id="sc-goal" className="input" value={goalEvent} onChange={(e) => setGoalEvent(e.target.value)} placeholder="order_finalized" />
          {err('settings.goal')}
        </div>
        <div className="field">
          <div className="field__label">Goal within</div>
          <DurationInput label="Goal within" value={goalWithin} onChange={setGoalWithin} />
        </div>
      </div>
      <div className="form__pair">
        <div className="field" data-field="settings.max_active_per_profile">
          <label className="field__label" htmlFor="sc-max">
            Max running per customer
          </label>
          <input id="sc-max" className="input" type="number" min={1} value={maxActive} onChange={(e) => setMaxActive(e.target.value)} />
          {err('settings.max_active_per_profile')}
        </div>
        <div className="field" data-field="settings.holdout_percent">
          <label className="field__label" htmlFor="sc-holdout">
            Holdout % (control group)
          </label>
          <input id="sc-holdout" className="input" type="number" min={0} max={100} value={holdout} onChange={(e) => setHoldout(e.target.value)} />
          {err('settings.holdout_percent')}
        </div>
      </div>
      <div className="field" data-field="settings.timezone">
        <label className="field__label" htmlFor="sc-tz">
          Time zone
        </label>
        <input id="sc-tz" className="input" value={tz} onChange={(e) => setTz(e.target.value)} placeholder="Europe/Berlin" />
        {err('settings.timezone')}
      </div>
      <div className="form__actions">
        <Button type="submit" variant="primary">
          Save &amp; collapse
        </Button>
      </div>
    </form>
  );
}
