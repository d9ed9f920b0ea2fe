import { useState, type FormEvent, type ReactNode } from 'react';
import { explain } from '../api.js';

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'textarea' | 'select';
  options?: { value: string; label: string }[];
  required?: boolean;
  placeholder?: string;
}

export type Said = { ok: boolean; text: string } | null;

/** What an action answered, said to a screen reader: a status on success, an alert with the problem's code otherwise. */
export function Message({ said }: { said: Said }) {
  if (!said) return null;
  return (
    <p role={said.ok ? 'status' : 'alert'} className={said.ok ? 'ok' : 'error'}>
      {said.text}
    </p>
  );
}

/** Runs an action and keeps what it answered for <Message>. */
export function useAction(): [Said, (run: () => Promise<string>) => Promise<void>] {
  const [said, setSaid] = useState<Said>(null);
  const act = async (run: () => Promise<string>) => {
    setSaid(null);
    try {
      setSaid({ ok: true, text: await run() });
    } catch (err) {
      setSaid({ ok: false, text: explain(err) });
    }
  };
  return [said, act];
}

/** A labelled form of simple fields; empty ones are left out of the values, numbers sent as numbers. */
export function ActionForm({
  id,
  title,
  fields,
  submit,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  fields: Field[];
  submit: string;
  onSubmit: (values: Record<string, string | number>) => Promise<string>;
  children?: ReactNode;
}) {
  const [said, act] = useAction();
  const send = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const values: Record<string, string | number> = {};
    for (const f of fields) {
      const raw = data.get(f.name);
      const v = typeof raw === 'string' ? raw.trim() : '';
      if (v !== '') values[f.name] = f.type === 'number' ? Number(v) : v;
    }
    void act(async () => {
      const text = await onSubmit(values);
      form.reset();
      return text;
    });
  };
  return (
    <form className="create" onSubmit={send} aria-label={title}>
      <h3>{title}</h3>
      {fields.map((f) => (
        <div className="field" key={f.name}>
          <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
          {f.type === 'select' ? (
            <select id={`${id}-${f.name}`} name={f.name} required={f.required}>
              {!f.required && <option value="">—</option>}
              {(f.options ?? []).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : f.type === 'textarea' ? (
            <textarea id={`${id}-${f.name}`} name={f.name} rows={3} required={f.required} placeholder={f.placeholder} />
          ) : (
            <input
              id={`${id}-${f.name}`}
              name={f.name}
              type={f.type ?? 'text'}
              required={f.required}
              placeholder={f.placeholder}
              min={f.type === 'number' ? 0 : undefined}
            />
          )}
        </div>
      ))}
      {children}
      <button type="submit">{submit}</button>
      <Message said={said} />
    </form>
  );
}
