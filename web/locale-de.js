// @ts-check
/** Deutsche Texte der Integrations-Komponenten (dieselben Schlüssel wie locale-en.js). */
export default {
  status: { connected: 'Verbunden', warning: 'Braucht Aufmerksamkeit', error: 'Fehler', disconnected: 'Nicht verbunden' },
  overall: {
    connected: 'Alle Integrationen verbunden',
    warning: 'Integrationen brauchen Aufmerksamkeit',
    error: 'Eine Integration schlägt fehl',
    disconnected: 'Keine Integration verbunden'
  },
  loading: 'Integrationen werden geladen…',
  barLabel: 'Status der Integrationen',
  settingsLabel: 'Integrationen',
  connection: {
    starting: 'Verbinde…',
    connecting: 'Verbinde…',
    streaming: 'Live',
    reconnecting: 'Verbindung unterbrochen · verbinde neu…',
    polling: 'Offline · prüfe alle 15 s',
    closed: 'Angehalten',
    disabled: ''
  },
  announceChange: '{label} ist jetzt: {status}',
  updated: 'Aktualisiert {ago}',
  staleBadge: 'Letzter bekannter Stand, aktualisiert {ago}',
  staleAmber: 'Länger nicht aktualisiert: zuletzt {ago}',
  hidden: 'Durch Projektrichtlinie ausgeblendet',
  disabled: 'Für dieses Projekt ausgeschaltet',
  environments: 'Umgebungen',
  problem: 'Problem',
  problems: {
    oauth_revoked: 'Zugriff widerrufen',
    missing_scopes: 'Fehlende Scopes',
    missing_permissions: 'Fehlende Berechtigungen',
    not_found: 'Nicht gefunden',
    webhook_disabled: 'Webhook deaktiviert',
    webhook_missing: 'Kein Webhook',
    project_paused: 'Projekt pausiert',
    project_failed: 'Projekt fehlgeschlagen',
    database_error: 'Datenbankproblem',
    rate_limited: 'Anfragelimit erreicht',
    timeout: 'Keine Antwort',
    unknown: 'Fehler beim Anbieter'
  },
  action: {
    pending: '{action}: läuft…',
    succeeded: '{action}: erledigt',
    failed: '{action} fehlgeschlagen: {message}',
    retryIn: 'Zu viele Anfragen. Erneut möglich in {seconds} s.',
    retryNow: 'Sie können es jetzt erneut versuchen.',
    announceDone: '{label}: {action} erledigt',
    announceFailed: '{label}: {action} fehlgeschlagen'
  },
  errors: {
    ACTION_FORBIDDEN: 'Sie dürfen das in diesem Projekt nicht.',
    FORBIDDEN: 'Sie dürfen das in diesem Projekt nicht.',
    UNAUTHENTICATED: 'Ihre Sitzung ist abgelaufen. Laden Sie die Seite neu, um sich anzumelden.',
    CSRF_FAILED: 'Ihre Sitzung ist abgelaufen. Laden Sie die Seite neu, um sich anzumelden.',
    SERVICE_UNAVAILABLE: 'Der Dienst ist ausgelastet. Versuchen Sie es gleich noch einmal.',
    network: 'Der Dienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
    other: 'Etwas ist schiefgegangen ({code}).'
  },
  manage: {
    viewerNote: 'Sie sehen diese Integration, können sie aber nicht ändern. Fragen Sie eine Projektinhaberin oder einen Admin.',
    connect: 'Verbinden',
    reconnect: 'Neu verbinden',
    disconnect: 'Trennen'
  },
  form: {
    connectTitle: '{label} verbinden',
    reconnectTitle: '{label} neu verbinden',
    tokenNote: 'Das Token wird bei {label} geprüft, bevor etwas gespeichert wird. Es wird verschlüsselt gespeichert und nie wieder angezeigt.',
    oauthNote: 'Sie erteilen den Zugriff bei {label} und kommen dann hierher zurück.',
    submitToken: 'Prüfen und verbinden',
    submitOAuth: 'Weiter zu {label}',
    cancel: 'Abbrechen',
    optional: 'optional',
    required: '{field} ist erforderlich.',
    invalid: '{field} ist ungültig.',
    checking: 'Prüfe bei {label}…',
    redirecting: '{label} wird geöffnet…',
    connected: '{label} ist verbunden.',
    loadFailed: 'Das Formular konnte nicht geladen werden. Versuchen Sie es erneut.'
  },
  dialog: {
    title: '{label} trennen?',
    removes: 'Damit werden die Verknüpfung und ihr gespeichertes Token aus diesem Projekt entfernt: Status und Schnellaktionen enden hier.',
    keeps: 'Bei {label} wird nichts gelöscht, und das Token wird dort nicht widerrufen, außer dieser Dienst hat es über seine eigene {label}-App ausgestellt. Die Inhaberin des Tokens kann es in den Einstellungen von {label} widerrufen.',
    confirm: 'Trennen',
    cancel: 'Verbunden lassen',
    done: '{label} ist getrennt.'
  }
}
